import { QueryTypes, type Transaction } from 'sequelize';
import { decimal } from '../common/money.js';
import type { Database } from '../db/database.js';
import { fromSqlTime, sqlTime } from '../db/sql.js';
import type { DiscountKind, DiscountTarget } from '../rating/index.js';
import type { StoredDiscountFields } from './discounts.js';
import { IN_CHUNK } from './tariffs.repository.js';

export interface StoredDiscount extends StoredDiscountFields {
  id: number;
  status: 'active' | 'removed';
  createdBy: string;
  createdAt: Date;
}

const placeholders = (n: number) => new Array(n).fill('?').join(', ');
const dateOnly = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

function toDiscount(r: Record<string, unknown>): StoredDiscount {
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    serviceId: r.service_id === null || r.service_id === undefined ? null : Number(r.service_id),
    code: String(r.code),
    description: String(r.description),
    appliesTo: String(r.applies_to) as DiscountTarget,
    kind: String(r.kind) as DiscountKind,
    value: decimal(String(r.value)),
    valueText: String(r.value),
    fromDate: dateOnly(r.from_date),
    untilDate: dateOnly(r.until_date),
    periods: r.periods === null || r.periods === undefined ? null : Number(r.periods),
    status: String(r.status) as 'active' | 'removed',
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
  };
}

/** The table discounts (migration 0023). */
export class DiscountsRepository {
  constructor(private readonly db: Database) {}

  private select(sql: string, replacements: unknown[], transaction?: Transaction): Promise<Array<Record<string, unknown>>> {
    return this.db.sequelize.query<Record<string, unknown>>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  }

  async add(d: StoredDiscountFields, actor: string, now: Date, transaction?: Transaction): Promise<StoredDiscount> {
    const t = sqlTime(this.db.dialect, now);
    const [id] = await this.db.sequelize.query(
      `INSERT INTO discounts (account_id, service_id, code, description, applies_to, kind, value, from_date, until_date, periods, status, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
      { replacements: [d.accountId, d.serviceId, d.code, d.description, d.appliesTo, d.kind, d.valueText, d.fromDate, d.untilDate, d.periods, actor, t, t], type: QueryTypes.INSERT, transaction },
    );
    return (await this.find(Number(id), transaction))!;
  }

  async find(id: number, transaction?: Transaction): Promise<StoredDiscount | null> {
    const rows = await this.select('SELECT * FROM discounts WHERE id = ?', [id], transaction);
    return rows[0] ? toDiscount(rows[0]) : null;
  }

  async remove(id: number, now: Date, transaction?: Transaction): Promise<void> {
    await this.db.sequelize.query("UPDATE discounts SET status = 'removed', updated_at = ? WHERE id = ?", { replacements: [sqlTime(this.db.dialect, now), id], transaction });
  }

  /** Discounts of these accounts, oldest first; removed ones only when asked. */
  async of(accountIds: number[], options: { includeRemoved?: boolean } = {}, transaction?: Transaction): Promise<StoredDiscount[]> {
    const out: StoredDiscount[] = [];
    const unique = [...new Set(accountIds)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const status = options.includeRemoved ? '' : " AND status = 'active'";
      out.push(...(await this.select(`SELECT * FROM discounts WHERE account_id IN (${placeholders(chunk.length)})${status} ORDER BY account_id, id`, chunk, transaction)).map(toDiscount));
    }
    return out;
  }
}
