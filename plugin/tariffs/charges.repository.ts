import { QueryTypes, type Transaction } from 'sequelize';
import { decimal } from '../common/money.js';
import type { Database } from '../db/database.js';
import { fromSqlTime, fromSqlTimeOrNull, sqlTime } from '../db/sql.js';
import { IN_CHUNK } from './tariffs.repository.js';
import type { ExtraCharge, NewExtraCharge, TopUpPurchase } from './charges.js';

const placeholders = (n: number) => new Array(n).fill('?').join(', ');

function dateOnly(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).slice(0, 10);
}

const bool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';

export interface StoredCharge extends ExtraCharge {
  /** The price as stored (as typed): "5.00". */
  priceText: string;
  status: 'active' | 'removed';
  createdBy: string;
  createdAt: Date;
}

function toCharge(r: Record<string, unknown>): StoredCharge {
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    serviceId: r.service_id === null || r.service_id === undefined ? null : Number(r.service_id),
    code: String(r.code),
    description: String(r.description),
    price: decimal(String(r.price)),
    priceText: String(r.price),
    taxInclusive: bool(r.tax_inclusive),
    recurring: bool(r.recurring),
    fromDate: dateOnly(r.from_date),
    toDate: dateOnly(r.to_date),
    atMs: fromSqlTimeOrNull(r.at_time)?.getTime() ?? null,
    status: String(r.status) as 'active' | 'removed',
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
  };
}

function toTopUp(r: Record<string, unknown>): TopUpPurchase {
  return { id: Number(r.id), serviceId: Number(r.service_id), code: String(r.code), atMs: fromSqlTime(r.bought_at).getTime(), createdBy: String(r.created_by) };
}

/** The tables extra_charges and service_topups (migration 0009). */
export class ChargesRepository {
  constructor(private readonly db: Database) {}

  private select(sql: string, replacements: unknown[], transaction?: Transaction): Promise<Array<Record<string, unknown>>> {
    return this.db.sequelize.query<Record<string, unknown>>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  }

  async addCharge(c: NewExtraCharge, actor: string, now: Date, transaction?: Transaction): Promise<StoredCharge> {
    const t = (ms: number | Date) => sqlTime(this.db.dialect, ms);
    const [id] = await this.db.sequelize.query(
      `INSERT INTO extra_charges (account_id, service_id, code, description, price, tax_inclusive, recurring, from_date, to_date, at_time, status, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
      {
        replacements: [c.accountId, c.serviceId, c.code, c.description, c.priceText, c.taxInclusive, c.recurring, c.fromDate, c.toDate, c.atMs === null ? null : t(c.atMs), actor, t(now), t(now)],
        type: QueryTypes.INSERT,
        transaction,
      },
    );
    // Both drivers answer an INSERT with [insert id, affected rows].
    return (await this.findCharge(Number(id), transaction))!;
  }

  async findCharge(id: number, transaction?: Transaction): Promise<StoredCharge | null> {
    const rows = await this.select('SELECT * FROM extra_charges WHERE id = ?', [id], transaction);
    return rows[0] ? toCharge(rows[0]) : null;
  }

  async removeCharge(id: number, now: Date, transaction?: Transaction): Promise<void> {
    await this.db.sequelize.query("UPDATE extra_charges SET status = 'removed', updated_at = ? WHERE id = ?", { replacements: [sqlTime(this.db.dialect, now), id], transaction });
  }

  /** Charges of these accounts, oldest first; removed ones only when asked. */
  async chargesOf(accountIds: number[], options: { includeRemoved?: boolean } = {}, transaction?: Transaction): Promise<StoredCharge[]> {
    const out: StoredCharge[] = [];
    const unique = [...new Set(accountIds)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const status = options.includeRemoved ? '' : " AND status = 'active'";
      out.push(...(await this.select(`SELECT * FROM extra_charges WHERE account_id IN (${placeholders(chunk.length)})${status} ORDER BY account_id, id`, chunk, transaction)).map(toCharge));
    }
    return out;
  }

  async addTopUp(serviceId: number, code: string, atMs: number, actor: string, now: Date, transaction?: Transaction): Promise<TopUpPurchase> {
    const t = (ms: number | Date) => sqlTime(this.db.dialect, ms);
    const [id] = await this.db.sequelize.query('INSERT INTO service_topups (service_id, code, bought_at, created_by, created_at) VALUES (?, ?, ?, ?, ?)', {
      replacements: [serviceId, code, t(atMs), actor, t(now)],
      type: QueryTypes.INSERT,
      transaction,
    });
    const rows = await this.select('SELECT * FROM service_topups WHERE id = ?', [Number(id)], transaction);
    return toTopUp(rows[0]!);
  }

  /** Top-ups of these services bought in [fromMs, toMs), by service then time. */
  async topUpsOf(serviceIds: number[], fromMs: number, toMs: number, transaction?: Transaction): Promise<TopUpPurchase[]> {
    const out: TopUpPurchase[] = [];
    const unique = [...new Set(serviceIds)];
    const from = sqlTime(this.db.dialect, fromMs);
    const to = sqlTime(this.db.dialect, toMs);
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const rows = await this.select(
        `SELECT * FROM service_topups WHERE service_id IN (${placeholders(chunk.length)}) AND bought_at >= ? AND bought_at < ? ORDER BY service_id, bought_at, id`,
        [...chunk, from, to],
        transaction,
      );
      out.push(...rows.map(toTopUp));
    }
    return out;
  }
}
