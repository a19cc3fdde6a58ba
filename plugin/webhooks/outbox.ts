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
  };
}
