import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Database } from '../db/database.js';
import { fromSqlTime, fromSqlTimeOrNull, sqlTime, valuesPlaceholders } from '../db/sql.js';
import type { WebhookEventType } from './events.js';

export interface EndpointRow {
  id: number;
  url: string;
  secret: string;
  events: string[];
  active: boolean;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OutboxEvent {
  eventId: string;
  type: WebhookEventType;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryRow {
  id: string;
  eventId: string;
  type: WebhookEventType;
  endpointId: number;
  url: string | null;
  attempt: number;
  status: DeliveryStatus;
  responseCode: number | null;
  durationMs: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface DueDelivery extends DeliveryRow {
  event: OutboxEvent;
  endpoint: EndpointRow | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  type?: WebhookEventType;
  endpointId?: number;
  eventId?: string;
}

type Raw = Record<string, unknown>;

function endpointRow(r: Raw): EndpointRow {
  return {
    id: Number(r.id),
    url: String(r.url),
    secret: String(r.secret),
    events: String(r.events).split(',').filter(Boolean),
    active: Boolean(Number(r.active)),
    description: (r.description as string | null) ?? null,
    createdAt: fromSqlTime(r.created_at),
    updatedAt: fromSqlTime(r.updated_at),
  };
}

function deliveryRow(r: Raw): DeliveryRow {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    type: String(r.type) as WebhookEventType,
    endpointId: Number(r.endpoint_id),
    url: (r.url as string | null) ?? null,
    attempt: Number(r.attempt),
    status: String(r.status) as DeliveryStatus,
    responseCode: r.response_code === null || r.response_code === undefined ? null : Number(r.response_code),
    durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    error: (r.error as string | null) ?? null,
    nextAttemptAt: fromSqlTimeOrNull(r.next_attempt_at),
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
    updatedAt: fromSqlTime(r.updated_at),
  };
}

const ENDPOINT_COLUMNS = 'id, url, secret, events, active, description, created_at, updated_at';
const DELIVERY_COLUMNS =
  'd.id, d.event_id, o.type, d.endpoint_id, e.url, d.attempt, d.status, d.response_code, d.duration_ms, d.error, d.next_attempt_at, d.created_by, d.created_at, d.updated_at';
const DELIVERY_FROM = 'webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id';

/** webhook_endpoints, webhook_outbox, webhook_deliveries. Every method takes an optional transaction. */
export class WebhooksRepository {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  private get dialect() {
    return this.deps.db.dialect;
  }

  private t(at: Date | number): string {
    return sqlTime(this.dialect, at);
  }

  private select<T extends object = Raw>(sql: string, replacements: unknown[], transaction?: Transaction): Promise<T[]> {
    return this.deps.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  }

  private async run(sql: string, replacements: unknown[], transaction?: Transaction): Promise<void> {
    await this.deps.db.sequelize.query(sql, { replacements, transaction });
  }

  // Outbox

  async insertEvent(e: OutboxEvent, t: Transaction): Promise<void> {
    await this.run('INSERT INTO webhook_outbox (event_id, type, payload, created_at, dispatched_at) VALUES (?, ?, ?, ?, NULL)', [e.eventId, e.type, JSON.stringify(e.payload), this.t(e.createdAt)], t);
  }

  /** Many events in one statement per 500 (a billing run announces a chunk's invoices at once). */
  async insertEvents(events: OutboxEvent[], t: Transaction): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      const part = events.slice(i, i + 500);
      await this.run(`INSERT INTO webhook_outbox (event_id, type, payload, created_at, dispatched_at) VALUES ${valuesPlaceholders(part.length, 5)}`, part.flatMap((e) => [e.eventId, e.type, JSON.stringify(e.payload), this.t(e.createdAt), null]), t);
    }
  }

  async undispatched(limit: number, t?: Transaction): Promise<Array<OutboxEvent & { id: string }>> {
    const rows = await this.select(`SELECT id, event_id, type, payload, created_at FROM webhook_outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT ${Math.trunc(limit)}`, [], t);
    return rows.map((r) => ({ id: String(r.id), eventId: String(r.event_id), type: String(r.type) as WebhookEventType, payload: JSON.parse(String(r.payload)) as Record<string, unknown>, createdAt: fromSqlTime(r.created_at) }));
  }

  async markDispatched(ids: string[], at: Date, t: Transaction): Promise<void> {
    if (ids.length === 0) return;
    await this.run(`UPDATE webhook_outbox SET dispatched_at = ? WHERE id IN (${ids.map(() => '?').join(', ')})`, [this.t(at), ...ids], t);
  }

  async event(eventId: string, t?: Transaction): Promise<OutboxEvent | null> {
    const [r] = await this.select('SELECT event_id, type, payload, created_at FROM webhook_outbox WHERE event_id = ?', [eventId], t);
    return r ? { eventId: String(r.event_id), type: String(r.type) as WebhookEventType, payload: JSON.parse(String(r.payload)) as Record<string, unknown>, createdAt: fromSqlTime(r.created_at) } : null;
  }

  async countEvents(type?: WebhookEventType, t?: Transaction): Promise<number> {
    const [r] = await this.select<{ n: number | string }>(`SELECT COUNT(*) AS n FROM webhook_outbox${type ? ' WHERE type = ?' : ''}`, type ? [type] : [], t);
    return Number(r?.n ?? 0);
  }

  // Endpoints

  async createEndpoint(e: { url: string; secret: string; events: string[]; active: boolean; description: string | null }, t?: Transaction): Promise<EndpointRow> {
    const now = this.deps.clock.now();
    await this.run('INSERT INTO webhook_endpoints (url, secret, events, active, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [e.url, e.secret, e.events.join(','), e.active, e.description, this.t(now), this.t(now)], t);
    // The secret is unique to this row (random): it finds the id on both dialects without LAST_INSERT_ID.
    const [r] = await this.select(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE secret = ?`, [e.secret], t);
    return endpointRow(r!);
  }

  async endpoints(t?: Transaction): Promise<EndpointRow[]> {
    return (await this.select(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id`, [], t)).map(endpointRow);
  }

  async endpoint(id: number, t?: Transaction): Promise<EndpointRow | null> {
    const [r] = await this.select(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?`, [id], t);
    return r ? endpointRow(r) : null;
  }

  async updateEndpoint(id: number, e: { url: string; events: string[]; active: boolean; description: string | null }, t?: Transaction): Promise<void> {
    await this.run('UPDATE webhook_endpoints SET url = ?, events = ?, active = ?, description = ?, updated_at = ? WHERE id = ?', [e.url, e.events.join(','), e.active, e.description, this.t(this.deps.clock.now()), id], t);
  }

  async deleteEndpoint(id: number, t?: Transaction): Promise<void> {
    await this.run('DELETE FROM webhook_endpoints WHERE id = ?', [id], t);
  }

  // Deliveries

  async addDeliveries(rows: Array<{ eventId: string; endpointId: number; createdBy: string }>, at: Date, t: Transaction): Promise<void> {
    for (const r of rows) {
      await this.run(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, attempt, status, response_code, duration_ms, error, next_attempt_at, created_by, created_at, updated_at) VALUES (?, ?, 0, 'pending', NULL, NULL, NULL, ?, ?, ?, ?)",
        [r.eventId, r.endpointId, this.t(at), r.createdBy, this.t(at), this.t(at)],
        t,
      );
    }
  }

  /** Pending deliveries whose next attempt is due at `now`, oldest first, with their event and endpoint. */
  async due(now: Date, limit: number, t?: Transaction): Promise<DueDelivery[]> {
    const rows = await this.select(
      `SELECT ${DELIVERY_COLUMNS}, o.payload, o.created_at AS event_created_at FROM ${DELIVERY_FROM} WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ${Math.trunc(limit)}`,
      [this.t(now)],
      t,
    );
    const endpoints = new Map((await this.endpoints(t)).map((e) => [e.id, e]));
    return rows.map((r) => {
      const d = deliveryRow(r);
      return { ...d, event: { eventId: d.eventId, type: d.type, payload: JSON.parse(String(r.payload)) as Record<string, unknown>, createdAt: fromSqlTime(r.event_created_at) }, endpoint: endpoints.get(d.endpointId) ?? null };
    });
  }

  /** Records an attempt's outcome, unless the row moved on meanwhile (its attempt count is the guard). */
  async recordAttempt(
    id: string,
    previousAttempt: number,
    r: { attempt: number; status: DeliveryStatus; responseCode: number | null; durationMs: number | null; error: string | null; nextAttemptAt: Date | null },
    t: Transaction,
  ): Promise<void> {
    await this.run(
      "UPDATE webhook_deliveries SET attempt = ?, status = ?, response_code = ?, duration_ms = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND attempt = ? AND status = 'pending'",
      [r.attempt, r.status, r.responseCode, r.durationMs, r.error === null ? null : r.error.slice(0, 1000), r.nextAttemptAt ? this.t(r.nextAttemptAt) : null, this.t(this.deps.clock.now()), id, previousAttempt],
      t,
    );
  }

  async delivery(id: string, t?: Transaction): Promise<DeliveryRow | null> {
    if (!/^\d{1,19}$/.test(id)) return null;
    const [r] = await this.select(`SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM} WHERE d.id = ?`, [id], t);
    return r ? deliveryRow(r) : null;
  }

  async deliveries(filter: DeliveryFilter, page: { limit: number; offset: number }, t?: Transaction): Promise<{ rows: DeliveryRow[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) (where.push('d.status = ?'), args.push(filter.status));
    if (filter.type) (where.push('o.type = ?'), args.push(filter.type));
    if (filter.endpointId !== undefined) (where.push('d.endpoint_id = ?'), args.push(filter.endpointId));
    if (filter.eventId) (where.push('d.event_id = ?'), args.push(filter.eventId));
    const w = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const rows = await this.select(`SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM}${w} ORDER BY d.id DESC LIMIT ${Math.trunc(page.limit)} OFFSET ${Math.trunc(page.offset)}`, args, t);
    const [n] = await this.select<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${DELIVERY_FROM}${w}`, args, t);
    return { rows: rows.map(deliveryRow), total: Number(n?.n ?? 0) };
  }
}
