import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.js';
import type { Database } from '../../db/database.js';
import { insertIgnore, sqlTime } from '../../db/sql.js';
import { affected } from '../statements/statements.repository.js';

/** Webhook events already handled (payments' gateway_events): the idempotency of every delivery. */
export type EventOutcome = 'processing' | 'recorded' | 'duplicate' | 'ignored' | 'unmatched' | 'refunded' | 'failed';

export interface HandledEvent {
  gateway: string;
  eventId: string;
  eventType: string;
  signedAt: number;
  outcome: EventOutcome;
  detail: string | null;
  objectId: string | null;
  paymentId: string | null;
}

export class GatewayEventsRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async find(gateway: string, eventId: string, t?: Transaction): Promise<HandledEvent | null> {
    const rows = (await this.db.sequelize.query(
      'SELECT gateway, event_id, event_type, CAST(signed_at AS CHAR) AS signed_at, outcome, detail, object_id, payment_id FROM gateway_events WHERE gateway = :gateway AND event_id = :eventId',
      { replacements: { gateway, eventId }, type: QueryTypes.SELECT, transaction: t },
    )) as Array<Record<string, unknown>>;
    const r = rows[0];
    if (!r) return null;
    const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
    return { gateway, eventId, eventType: String(r.event_type), signedAt: Number(r.signed_at), outcome: String(r.outcome) as EventOutcome, detail: s(r.detail), objectId: s(r.object_id), paymentId: s(r.payment_id) };
  }

  /** Claims an event id: false when it was handled (or claimed) already. */
  async claim(e: Omit<HandledEvent, 'detail' | 'paymentId'> & { detail?: string | null; paymentId?: string | null }, t?: Transaction): Promise<boolean> {
    const [, meta] = await this.db.sequelize.query(
      `${insertIgnore(this.db.dialect)} INTO gateway_events (gateway, event_id, event_type, signed_at, outcome, detail, object_id, payment_id, received_at)
       VALUES (:gateway, :eventId, :eventType, :signedAt, :outcome, :detail, :objectId, :paymentId, :now)`,
      { replacements: { ...e, detail: e.detail?.slice(0, 300) ?? null, paymentId: e.paymentId ?? null, signedAt: String(e.signedAt), now: sqlTime(this.db.dialect, this.clock.now()) }, type: QueryTypes.INSERT, transaction: t },
    );
    return affected(meta) > 0;
  }

  async settle(gateway: string, eventId: string, outcome: EventOutcome, detail: string | null, paymentId: string | null, t?: Transaction): Promise<void> {
    await this.db.sequelize.query('UPDATE gateway_events SET outcome = :outcome, detail = :detail, payment_id = :paymentId WHERE gateway = :gateway AND event_id = :eventId', {
      replacements: { gateway, eventId, outcome, detail: detail?.slice(0, 300) ?? null, paymentId },
      transaction: t,
    });
  }

  async release(gateway: string, eventId: string, t?: Transaction): Promise<void> {
    await this.db.sequelize.query('DELETE FROM gateway_events WHERE gateway = :gateway AND event_id = :eventId', { replacements: { gateway, eventId }, transaction: t });
  }

  /** The payment recorded for a gateway object (a PaymentIntent), found by a refund. */
  async paymentOf(gateway: string, objectId: string, t?: Transaction): Promise<string | null> {
    const rows = (await this.db.sequelize.query(
      "SELECT payment_id FROM gateway_events WHERE gateway = :gateway AND object_id = :objectId AND payment_id IS NOT NULL AND outcome IN ('recorded', 'duplicate') ORDER BY received_at LIMIT 1",
      { replacements: { gateway, objectId }, type: QueryTypes.SELECT, transaction: t },
    )) as Array<{ payment_id: unknown }>;
    return rows[0] ? String(rows[0].payment_id) : null;
  }
}
