import { errorMessage, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { MatchLookups, RecordPort } from '../statements/ports.js';
import type { StatementsRepository } from '../statements/statements.repository.js';
import type { GatewayEventsRepository } from './gateway-events.repository.js';
import type { Intent, PaymentIntent } from './events.js';

/** The same signed delivery sent again (same event id and signature timestamp): refused with 400. */
export class ReplayedDeliveryError extends UserError {}

export interface RefundPort {
  refund(paymentId: string, amountMinor: bigint, reason: string, actor: string): Promise<void>;
}

export interface WebhookResult {
  eventId: string;
  outcome: string;
  duplicate: boolean;
  paymentId: string | null;
  detail: string | null;
}

/**
 * Handles a verified gateway event once per event id. A payment is recorded through the payments
 * port with the gateway object's id as externalId (record is idempotent by it too, so a Checkout
 * Session and its PaymentIntent record one payment); a payment nobody can be found for waits in
 * the statement queue for a person. A refund claims each refund id before refunding, so a
 * redelivered or cumulative charge.refunded never refunds twice.
 */
export class WebhookService {
  constructor(
    private readonly deps: {
      events: GatewayEventsRepository;
      queue: Pick<StatementsRepository, 'enqueue'>;
      payments: RecordPort & Partial<RefundPort>;
      lookups: Pick<MatchLookups, 'invoiceByNumber' | 'accountById'>;
      logger: Logger;
    },
  ) {}

  async handle(gateway: string, signedAt: number, event: { eventId: string; type: string }, intent: Intent): Promise<WebhookResult> {
    const { events, logger } = this.deps;
    const prior = await events.find(gateway, event.eventId);
    if (prior) {
      if (prior.signedAt === signedAt) throw new ReplayedDeliveryError(`event ${event.eventId} was delivered with this very signature before: a replay`);
      return { eventId: event.eventId, outcome: prior.outcome, duplicate: true, paymentId: prior.paymentId, detail: 'handled before' };
    }
    const base = { gateway, eventId: event.eventId, eventType: event.type, signedAt };
    if (intent.kind === 'ignore') {
      await events.claim({ ...base, outcome: 'ignored', objectId: null, detail: intent.reason });
      return { eventId: event.eventId, outcome: 'ignored', duplicate: false, paymentId: null, detail: intent.reason };
    }
    if (intent.kind === 'refund') return this.refund(base, intent);
    const who = await this.resolve(intent);
    const source = gateway === 'stripe' ? 'stripe' : `gateway:${gateway.replace(/^generic:/, '')}`;
    if ('reason' in who) {
      await this.deps.queue.enqueue(source, event.eventId, {
        externalId: intent.objectId, amountMinor: intent.amountMinor, currency: intent.currency, bookingDate: intent.receivedAt.toISOString().slice(0, 10), valueDate: null,
        remittance: [intent.reference, intent.invoiceNumber && `invoice ${intent.invoiceNumber}`, intent.accountId && `account ${intent.accountId}`].filter(Boolean).join(' '), references: [], endToEndId: null, payer: null,
      }, `${gateway}: ${who.reason}`);
      await events.claim({ ...base, outcome: 'unmatched', objectId: intent.objectId, detail: who.reason });
      logger.warn('gateway payment matched no account; queued for a person', { gateway, eventId: event.eventId, reason: who.reason });
      return { eventId: event.eventId, outcome: 'unmatched', duplicate: false, paymentId: null, detail: who.reason };
    }
    // Recorded before the event is marked: a crash in between leaves the event to be redelivered,
    // and record() (idempotent by source and externalId) then finds the payment.
    const r = await this.deps.payments.record(
      { accountId: who.accountId, amountMinor: intent.amountMinor, currency: intent.currency, method: intent.method, reference: intent.reference, receivedAt: intent.receivedAt, source, externalId: intent.objectId, ...(who.invoiceId ? { allocateTo: who.invoiceId } : {}) },
      `gateway:${gateway}`,
    );
    const outcome = r.duplicate ? 'duplicate' : 'recorded';
    await events.claim({ ...base, outcome, objectId: intent.objectId, paymentId: r.paymentId });
    logger.info('gateway payment handled', { gateway, eventId: event.eventId, outcome, paymentId: r.paymentId });
    return { eventId: event.eventId, outcome, duplicate: r.duplicate, paymentId: r.paymentId, detail: null };
  }

  private async resolve(intent: PaymentIntent): Promise<{ accountId: number; invoiceId: string | null } | { reason: string }> {
    const { lookups } = this.deps;
    let accountId = intent.accountId;
    let invoiceId: string | null = null;
    if (intent.invoiceNumber) {
      const inv = await lookups.invoiceByNumber(intent.invoiceNumber.toUpperCase());
      if (!inv) return { reason: `invoice ${intent.invoiceNumber} not found` };
      if (accountId !== null && accountId !== inv.accountId) return { reason: `invoice ${intent.invoiceNumber} belongs to account ${inv.accountId}, not ${accountId}` };
      accountId = inv.accountId;
      invoiceId = inv.status === 'issued' || inv.status === 'sent' ? inv.id : null;
    }
    if (accountId === null) return { reason: 'no metadata.accountId or metadata.invoiceNumber' };
    const account = await lookups.accountById(accountId);
    if (!account) return { reason: `account ${accountId} not found` };
    if (account.currency !== intent.currency) return { reason: `paid in ${intent.currency}, account ${accountId} is billed in ${account.currency}` };
    return { accountId, invoiceId };
  }

  private async refund(base: { gateway: string; eventId: string; eventType: string; signedAt: number }, intent: Extract<Intent, { kind: 'refund' }>): Promise<WebhookResult> {
    const { events, payments, logger } = this.deps;
    const done = (outcome: 'refunded' | 'unmatched' | 'failed' | 'duplicate', detail: string | null, paymentId: string | null): WebhookResult => ({ eventId: base.eventId, outcome, duplicate: outcome === 'duplicate', paymentId, detail });
    if (!(await events.claim({ ...base, outcome: 'processing', objectId: intent.objectId }))) return done('duplicate', 'handled before', null);
    const paymentId = await events.paymentOf(base.gateway, intent.objectId);
    const settle = async (outcome: 'refunded' | 'unmatched' | 'failed' | 'duplicate', detail: string | null) => {
      await events.settle(base.gateway, base.eventId, outcome === 'duplicate' ? 'ignored' : outcome, detail, paymentId);
      if (outcome !== 'refunded' && outcome !== 'duplicate') logger.warn('gateway refund not applied', { gateway: base.gateway, eventId: base.eventId, detail });
      return done(outcome, detail, paymentId);
    };
    if (!payments.refund) return settle('failed', 'refunds are not wired to payments');
    if (!paymentId) return settle('unmatched', `no payment recorded here for ${intent.objectId}`);
    let applied = 0;
    for (const r of intent.refunds) {
      // Each refund id once, whichever event lists it (Stripe lists every refund so far on each).
      if (!(await events.claim({ gateway: `${base.gateway}:refund`, eventId: r.id, eventType: 'refund', signedAt: base.signedAt, outcome: 'processing', objectId: intent.objectId }))) continue;
      try {
        await payments.refund(paymentId, r.amountMinor, `${base.gateway} refund ${r.id}`, `gateway:${base.gateway}`);
        await events.settle(`${base.gateway}:refund`, r.id, 'refunded', null, paymentId);
        applied++;
      } catch (err) {
        await events.settle(`${base.gateway}:refund`, r.id, 'failed', errorMessage(err), paymentId);
        return settle('failed', `refund ${r.id}: ${errorMessage(err)}`);
      }
    }
    return settle(applied > 0 ? 'refunded' : 'duplicate', applied > 0 ? `${applied} refund(s)` : 'every refund was applied before');
  }
}
