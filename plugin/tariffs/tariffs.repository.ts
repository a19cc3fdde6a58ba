import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import { fromSqlTime, sqlTime } from '../db/sql.js';
import type { TariffStatus } from './definition.js';

/** A row of `tariffs`. */
export interface TariffRow {
  id: number;
  code: string;
  name: string;
  currency: string;
  status: TariffStatus;
  currentVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A row of `tariff_versions`; `definition` is the stored JSON text. */
export interface VersionRow {
  tariffId: number;
  version: number;
  definition: string;
  effectiveFromMs: number;
  createdBy: string;
  createdAt: Date;
}

/** Long IN lists are cut so that a billing run asking for thousands of codes stays within limits. */
export const IN_CHUNK = 500;

const placeholders = (n: number) => new Array(n).fill('?').join(', ');

function toTariff(r: Record<string, unknown>): TariffRow {
  return {
    id: Number(r.id),
    code: String(r.code),
    name: String(r.name),
    currency: String(r.currency),
    status: String(r.status) as TariffStatus,
    currentVersion: Number(r.current_version),
    createdAt: fromSqlTime(r.created_at),
    updatedAt: fromSqlTime(r.updated_at),
  };
}

function toVersion(r: Record<string, unknown>): VersionRow {
  return {
    tariffId: Number(r.tariff_id),
    version: Number(r.version),
    definition: String(r.definition),
    effectiveFromMs: fromSqlTime(r.effective_from).getTime(),
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
  };
}

/** The tables tariffs and tariff_versions (migration 0009). Every method takes a transaction. */
export class TariffsRepository {
  constructor(private readonly db: Database) {}

  private select(sql: string, replacements: unknown[], transaction?: Transaction): Promise<Array<Record<string, unknown>>> {
    return this.db.sequelize.query<Record<string, unknown>>(sql, { replacements, type: QueryTypes.SELECT, transaction });
  }

  private t(at: Date | number): string {
    return sqlTime(this.db.dialect, at);
  }

  async list(transaction?: Transaction): Promise<TariffRow[]> {
    return (await this.select('SELECT * FROM tariffs ORDER BY code', [], transaction)).map(toTariff);
  }

  async findByCode(code: string, transaction?: Transaction, lock = false): Promise<TariffRow | null> {
    const forUpdate = lock && transaction && this.db.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const rows = await this.select(`SELECT * FROM tariffs WHERE code = ?${forUpdate}`, [code], transaction);
    return rows[0] ? toTariff(rows[0]) : null;
  }

  async findByCodes(codes: string[], transaction?: Transaction): Promise<TariffRow[]> {
    const out: TariffRow[] = [];
    const unique = [...new Set(codes)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      out.push(...(await this.select(`SELECT * FROM tariffs WHERE code IN (${placeholders(chunk.length)})`, chunk, transaction)).map(toTariff));
    }
    return out;
  }

  /** Versions of these tariffs, oldest first per tariff. */
  async versionsOf(tariffIds: number[], transaction?: Transaction): Promise<VersionRow[]> {
    const out: VersionRow[] = [];
    for (let i = 0; i < tariffIds.length; i += IN_CHUNK) {
      const chunk = tariffIds.slice(i, i + IN_CHUNK);
      const rows = await this.select(`SELECT * FROM tariff_versions WHERE tariff_id IN (${placeholders(chunk.length)}) ORDER BY tariff_id, version`, chunk, transaction);
      out.push(...rows.map(toVersion));
    }
    return out;
  }

  async insert(row: Omit<TariffRow, 'id' | 'createdAt' | 'updatedAt'>, now: Date, transaction?: Transaction): Promise<TariffRow> {
    await this.db.sequelize.query('INSERT INTO tariffs (code, name, currency, status, current_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', {
      replacements: [row.code, row.name, row.currency, row.status, row.currentVersion, this.t(now), this.t(now)],
      transaction,
    });
    return (await this.findByCode(row.code, transaction))!;
  }

  async insertVersion(row: VersionRow, transaction?: Transaction): Promise<void> {
    await this.db.sequelize.query(
      'INSERT INTO tariff_versions (tariff_id, version, definition, effective_from, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      { replacements: [row.tariffId, row.version, row.definition, this.t(row.effectiveFromMs), row.createdBy, this.t(row.createdAt)], transaction },
    );
  }

  /** Moves a tariff to its new version (name and status as of that version). */
  async update(id: number, patch: { name: string; status: TariffStatus; currentVersion: number }, now: Date, transaction?: Transaction): Promise<void> {
    await this.db.sequelize.query('UPDATE tariffs SET name = ?, status = ?, current_version = ?, updated_at = ? WHERE id = ?', {
      replacements: [patch.name, patch.status, patch.currentVersion, this.t(now), id],
      transaction,
    });
  }
}
