import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.js';
import type { Database } from '../../db/database.js';
import { fromSqlTime, fromSqlTimeOrNull, insertIgnore, sqlTime } from '../../db/sql.js';
import type { StatementLine } from './statement-line.js';

/** Statement lines waiting for a person, the saved CSV mappings and staged uploads (payments' tables). */
export type UnmatchedStatus = 'open' | 'assigned' | 'dismissed';

export interface UnmatchedLine {
  id: string;
  source: string;
  externalId: string;
  statementId: string | null;
  amountMinor: bigint;
  currency: string;
  bookingDate: string;
  remittance: string;
  payer: string | null;
  endToEndId: string | null;
  reason: string;
  status: UnmatchedStatus;
  accountId: number | null;
  paymentId: string | null;
  resolution: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
}

type Row = Record<string, unknown>;
const COLUMNS = `CAST(id AS CHAR) AS id, source, external_id, statement_id, CAST(amount_minor AS CHAR) AS amount_minor, currency, booking_date,
  remittance, payer, end_to_end_id, reason, status, account_id, payment_id, resolution, resolved_by, resolved_at, created_at`;

function toLine(r: Row): UnmatchedLine {
  return {
    id: String(r.id),
    source: String(r.source),
    externalId: String(r.external_id),
    statementId: r.statement_id === null ? null : String(r.statement_id),
    amountMinor: BigInt(String(r.amount_minor)),
    currency: String(r.currency),
    bookingDate: String(r.booking_date),
    remittance: String(r.remittance ?? ''),
    payer: r.payer === null ? null : String(r.payer),
    endToEndId: r.end_to_end_id === null ? null : String(r.end_to_end_id),
    reason: String(r.reason),
    status: String(r.status) as UnmatchedStatus,
    accountId: r.account_id === null ? null : Number(r.account_id),
    paymentId: r.payment_id === null ? null : String(r.payment_id),
    resolution: r.resolution === null ? null : String(r.resolution),
    resolvedBy: r.resolved_by === null ? null : String(r.resolved_by),
    resolvedAt: fromSqlTimeOrNull(r.resolved_at),
    createdAt: fromSqlTime(r.created_at),
  };
}

export interface StagedUpload {
  token: string;
  userId: number;
  kind: 'camt053' | 'csv';
  bank: string | null;
  filename: string;
  content: string;
  createdAt: Date;
}

/** Rows a raw statement changed: SQLite hands back the statement (changes), mysql2 a ResultSetHeader (affectedRows). */
export function affected(meta: unknown): number {
  if (typeof meta === 'number') return meta;
  const m = meta as { changes?: number; affectedRows?: number } | undefined;
  return m?.affectedRows ?? m?.changes ?? 0;
}

export class StatementsRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  private q<T = Row>(sql: string, replacements: Record<string, unknown>, t?: Transaction, type: QueryTypes = QueryTypes.SELECT): Promise<T[]> {
    return this.db.sequelize.query(sql, { replacements, type, transaction: t }) as unknown as Promise<T[]>;
  }

  /** Queues a line unless the same bank entry is queued already (any status): true when it was new. */
  async enqueue(source: string, statementId: string | null, line: StatementLine, reason: string, t?: Transaction): Promise<boolean> {
    const [, meta] = await this.db.sequelize.query(
      `${insertIgnore(this.db.dialect)} INTO statement_unmatched (source, external_id, statement_id, amount_minor, currency, booking_date, remittance, payer, end_to_end_id, reason, status, created_at)
       VALUES (:source, :ref, :statementId, :amount, :currency, :date, :remittance, :payer, :e2e, :reason, 'open', :now)`,
      {
        replacements: {
          source, ref: line.externalId, statementId, amount: line.amountMinor.toString(), currency: line.currency, date: line.bookingDate,
          remittance: line.remittance.slice(0, 1000), payer: line.payer?.slice(0, 200) ?? null, e2e: line.endToEndId, reason: reason.slice(0, 300), now: sqlTime(this.db.dialect, this.clock.now()),
        },
        // With a query type both dialects hand back the number of rows changed.
        type: QueryTypes.INSERT,
        transaction: t,
      },
    );
    return affected(meta) > 0;
  }

  async isQueued(source: string, externalId: string, t?: Transaction): Promise<boolean> {
    const rows = await this.q('SELECT 1 AS x FROM statement_unmatched WHERE source = :source AND external_id = :ref', { source, ref: externalId }, t);
    return rows.length > 0;
  }

  async list(status: UnmatchedStatus, limit = 200, t?: Transaction): Promise<UnmatchedLine[]> {
    const rows = await this.q(`SELECT ${COLUMNS} FROM statement_unmatched WHERE status = :status ORDER BY id LIMIT ${Math.max(1, Math.min(limit, 1000))}`, { status }, t);
    return rows.map(toLine);
  }

  async get(id: string, t?: Transaction): Promise<UnmatchedLine | null> {
    const lock = t && this.db.dialect !== 'sqlite' ? ' FOR UPDATE' : '';
    const rows = await this.q(`SELECT ${COLUMNS} FROM statement_unmatched WHERE id = :id${lock}`, { id }, t);
    return rows[0] ? toLine(rows[0]) : null;
  }

  /** Closes an open line; false when it was no longer open (someone else resolved it first). */
  async resolve(id: string, to: { status: Exclude<UnmatchedStatus, 'open'>; accountId: number | null; paymentId: string | null; resolution: string; actor: string }, t?: Transaction): Promise<boolean> {
    const [, meta] = await this.db.sequelize.query(
      `UPDATE statement_unmatched SET status = :status, account_id = :accountId, payment_id = :paymentId, resolution = :resolution, resolved_by = :actor, resolved_at = :now
       WHERE id = :id AND status = 'open'`,
      { replacements: { ...to, resolution: to.resolution.slice(0, 500), id, now: sqlTime(this.db.dialect, this.clock.now()) }, type: QueryTypes.UPDATE, transaction: t },
    );
    return affected(meta) > 0;
  }

  async saveMapping(bank: string, mapping: unknown, actor: string, t?: Transaction): Promise<void> {
    const now = sqlTime(this.db.dialect, this.clock.now());
    const json = JSON.stringify(mapping);
    const upsert =
      this.db.dialect === 'sqlite'
        ? `INSERT INTO statement_csv_mappings (bank, mapping, updated_by, updated_at) VALUES (:bank, :json, :actor, :now)
           ON CONFLICT(bank) DO UPDATE SET mapping = excluded.mapping, updated_by = excluded.updated_by, updated_at = excluded.updated_at`
        : `INSERT INTO statement_csv_mappings (bank, mapping, updated_by, updated_at) VALUES (:bank, :json, :actor, :now)
           ON DUPLICATE KEY UPDATE mapping = VALUES(mapping), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`;
    await this.q(upsert, { bank, json, actor, now }, t, QueryTypes.INSERT);
  }

  async mappings(t?: Transaction): Promise<Array<{ bank: string; mapping: unknown }>> {
    const rows = await this.q('SELECT bank, mapping FROM statement_csv_mappings ORDER BY bank', {}, t);
    return rows.map((r) => ({ bank: String(r.bank), mapping: JSON.parse(String(r.mapping)) as unknown }));
  }

  async stage(upload: Omit<StagedUpload, 'createdAt'>, t?: Transaction): Promise<void> {
    // Stale previews go first: a day is long enough to look at one.
    await this.q('DELETE FROM statement_uploads WHERE created_at < :cutoff', { cutoff: sqlTime(this.db.dialect, this.clock.now().getTime() - 86_400_000) }, t, QueryTypes.DELETE);
    await this.q(
      `INSERT INTO statement_uploads (token, user_id, kind, bank, filename, content, created_at) VALUES (:token, :userId, :kind, :bank, :filename, :content, :now)`,
      { ...upload, now: sqlTime(this.db.dialect, this.clock.now()) },
      t,
      QueryTypes.INSERT,
    );
  }

  /** Takes a staged upload of this user (deleting it), or null when it is gone or not theirs. */
  async take(token: string, userId: number, t?: Transaction): Promise<StagedUpload | null> {
    const rows = await this.q('SELECT token, user_id, kind, bank, filename, content, created_at FROM statement_uploads WHERE token = :token AND user_id = :userId', { token, userId }, t);
    const r = rows[0];
    if (!r || fromSqlTime(r.created_at).getTime() < this.clock.now().getTime() - 86_400_000) return null;
    await this.q('DELETE FROM statement_uploads WHERE token = :token', { token }, t, QueryTypes.DELETE);
    return { token, userId, kind: String(r.kind) as StagedUpload['kind'], bank: r.bank === null ? null : String(r.bank), filename: String(r.filename), content: String(r.content), createdAt: fromSqlTime(r.created_at) };
  }
}
