import { errorMessage } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Database } from '../db/database.js';
import type { Lease, LeaseRepository } from '../jobs/index.js';
import { isExhausted, retryDelayMs } from './backoff.js';
import type { WebhooksConfig } from './config.js';
import { subscribes, type WebhookEnvelope } from './events.js';
import { describeSendError, type WebhookSender } from './sender.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import type { DueDelivery, WebhooksRepository } from './webhooks.repository.js';

export const WEBHOOKS_LEASE = 'webhooks.delivery';

/** The body of a delivery: the same bytes for every attempt and replay of one event. */
export function envelopeOf(d: DueDelivery['event']): string {
  const envelope: WebhookEnvelope = { id: d.eventId, type: d.type, created: d.createdAt.toISOString(), data: d.payload };
  return JSON.stringify(envelope);
}

export interface PassResult {
  dispatched: number;
  attempted: number;
  delivered: number;
  retrying: number;
  dead: number;
}

/**
 * Delivers the outbox. One instance at a time holds the lease; a pass fans new events out to the
 * endpoints subscribed to them, then posts the deliveries that are due. An attempt is recorded
 * after the post returns, so a crash between the two posts the event again later: delivery is
 * at least once, and receivers dedupe on the event id. A failure (an answer other than 2xx, a
 * refused connection, a timeout) is retried with exponential backoff and jitter until
 * `maxAttempts`, then the delivery is dead; the event stays in the outbox and can be replayed.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PassResult | null> | null = null;
  private again = false;
  private stopped = true;
  private readonly holder = `webhooks:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly deps: {
      db: Database;
      repo: WebhooksRepository;
      leases: Pick<LeaseRepository, 'acquire' | 'prove' | 'release'>;
      sender: WebhookSender;
      clock: Clock;
      logger: Logger;
      config: WebhooksConfig;
      random?: () => number;
    },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** A new event committed: run a pass soon rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().finally(() => {
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : this.deps.config.pollSeconds * 1000);
      });
    }, ms);
    this.timer.unref?.();
  }

  /** One pass under the lease; null when another instance holds it. Errors are logged, not thrown. */
  async runOnce(): Promise<PassResult | null> {
    if (this.running) return this.running;
    this.running = this.pass()
      .catch((err: unknown) => {
        this.deps.logger.error('webhook delivery pass failed', { error: errorMessage(err) });
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<PassResult | null> {
    const { leases, config } = this.deps;
    const lease = await leases.acquire(WEBHOOKS_LEASE, this.holder, config.leaseSeconds * 1000);
    if (!lease) return null;
    const result: PassResult = { dispatched: 0, attempted: 0, delivered: 0, retrying: 0, dead: 0 };
    try {
      result.dispatched = await this.dispatch(lease);
      const due = await this.deps.repo.due(this.deps.clock.now(), config.batch);
      for (const d of due) {
        const outcome = await this.attempt(d, lease);
        result.attempted++;
        result[outcome]++;
      }
      return result;
    } finally {
      await leases.release(lease).catch(() => undefined);
    }
  }

  /** Turns new outbox events into deliveries, one per subscribed active endpoint. */
  private async dispatch(lease: Lease): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deps.db.transaction(async (t) => {
        await this.deps.leases.prove(lease, t);
        const events = await this.deps.repo.undispatched(200, t);
        if (events.length === 0) return 0;
        const endpoints = (await this.deps.repo.endpoints(t)).filter((e) => e.active);
        const now = this.deps.clock.now();
        const rows = events.flatMap((ev) => endpoints.filter((e) => subscribes(e.events, ev.type)).map((e) => ({ eventId: ev.eventId, endpointId: e.id, createdBy: 'system' })));
        await this.deps.repo.addDeliveries(rows, now, t);
        await this.deps.repo.markDispatched(events.map((e) => e.id), now, t);
        return events.length;
      });
      total += n;
      if (n < 200) return total;
    }
  }

  private async attempt(d: DueDelivery, lease: Lease): Promise<'delivered' | 'retrying' | 'dead'> {
    const { config, clock } = this.deps;
    const attempt = d.attempt + 1;
    let responseCode: number | null = null;
    let error: string | null = null;
    let durationMs: number | null = null;
    if (!d.endpoint) {
      error = 'the endpoint was removed';
    } else {
      const body = envelopeOf(d.event);
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'Octet-Webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader(d.endpoint.secret, timestamp, body),
        'Octet-Event-Id': d.eventId,
        'Octet-Event-Type': d.type,
        'Octet-Delivery-Attempt': String(attempt),
      };
      const started = performance.now();
      try {
        responseCode = (await this.deps.sender.post(d.endpoint.url, body, headers, config.timeoutSeconds * 1000)).status;
        if (responseCode < 200 || responseCode > 299) error = `the receiver answered ${responseCode}`;
      } catch (err) {
        error = describeSendError(err);
      }
      durationMs = Math.round(performance.now() - started);
    }
    const outcome = error === null ? 'delivered' : !d.endpoint || isExhausted(attempt, config.maxAttempts) ? 'dead' : 'retrying';
    const nextAttemptAt = outcome === 'retrying' ? new Date(clock.now().getTime() + retryDelayMs(attempt, { baseSeconds: config.baseDelaySeconds, maxSeconds: config.maxDelaySeconds }, (this.deps.random ?? Math.random)())) : null;
    await this.deps.db.transaction(async (t) => {
      await this.deps.leases.prove(lease, t);
      await this.deps.repo.recordAttempt(d.id, d.attempt, { attempt, status: outcome === 'retrying' ? 'pending' : outcome, responseCode, durationMs, error, nextAttemptAt }, t);
    });
    if (outcome !== 'delivered') this.deps.logger.warn('webhook delivery failed', { deliveryId: d.id, eventId: d.eventId, endpointId: d.endpointId, attempt, error, dead: outcome === 'dead' });
    return outcome;
  }
}
