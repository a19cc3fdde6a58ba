import { randomBytes } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { WebhookEventType } from './events.js';
import type { WebhooksRepository } from './webhooks.repository.js';

/**
 * What other modules call to announce a change: `enqueue` writes the event in the caller's own
 * transaction, so it exists if and only if the change committed (a rolled-back invoice run leaves
 * no invoice.issued behind). The worker is woken once the transaction commits.
 */
export interface OutboxPort {
  enqueue(type: WebhookEventType, payload: Record<string, unknown>, t: Transaction): Promise<string>;
  /** The same for many events of one type, written together (optional: callers fall back to enqueue). */
  enqueueMany?(type: WebhookEventType, payloads: Array<Record<string, unknown>>, t: Transaction): Promise<string[]>;
}

export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

export function createOutbox(deps: { repo: WebhooksRepository; clock: Clock; wake?: () => void }): OutboxPort {
  return {
    async enqueue(type, payload, t) {
      const eventId = newEventId();
      await deps.repo.insertEvent({ eventId, type, payload, createdAt: deps.clock.now() }, t);
      if (deps.wake) t.afterCommit(deps.wake);
      return eventId;
    },
    async enqueueMany(type, payloads, t) {
      const createdAt = deps.clock.now();
      const events = payloads.map((payload) => ({ eventId: newEventId(), type, payload, createdAt }));
      if (events.length === 0) return [];
      await deps.repo.insertEvents(events, t);
      if (deps.wake) t.afterCommit(deps.wake);
      return events.map((e) => e.eventId);
    },
  };
}
