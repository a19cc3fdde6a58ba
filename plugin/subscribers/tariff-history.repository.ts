import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import { fromSqlTime, sqlTime, valuesPlaceholders } from '../db/sql.js';
import type { TariffEntry } from './tariff-history.js';

export interface NewTariffEntry {
  serviceId: number;
  code: string;
  fromMs: number;
  createdBy: string;
}

/** Bound parameters per statement stay well under SQLite's and MySQL's limits. */
const CHUNK = 500;

/** `service_tariffs`: rows are appended (or the latest corrected), never deleted. */
export class TariffHistoryRepository {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date,
  ) {}

  async appendMany(entries: NewTariffEntry[], t?: Transaction): Promise<void> {
    const at = sqlTime(this.db.dialect, this.now());
    for (let i = 0; i < entries.length; i += CHUNK) {
      const part = entries.slice(i, i + CHUNK);
      await this.db.sequelize.query(
        `INSERT INTO service_tariffs (service_id, tariff_code, from_time, created_by, created_at) VALUES ${valuesPlaceholders(part.length, 5)}`,
        { replacements: part.flatMap((e) => [e.serviceId, e.code, sqlTime(this.db.dialect, e.fromMs), e.createdBy.slice(0, 100), at]), transaction: t },
      );
    }
  }

  /** Corrects the code of the entry that starts at `fromMs` (a second change dated the same instant). */
  async replace(entry: NewTariffEntry, t?: Transaction): Promise<void> {
    await this.db.sequelize.query('UPDATE service_tariffs SET tariff_code = ?, created_by = ?, created_at = ? WHERE service_id = ? AND from_time = ?', {
      replacements: [entry.code, entry.createdBy.slice(0, 100), sqlTime(this.db.dialect, this.now()), entry.serviceId, sqlTime(this.db.dialect, entry.fromMs)],
      transaction: t,
    });
  }

  /** Moves a service's first entry (its start date changed and the entry began with the service). */
  async moveFrom(serviceId: number, fromMs: number, toMs: number, t?: Transaction): Promise<void> {
    await this.db.sequelize.query('UPDATE service_tariffs SET from_time = ? WHERE service_id = ? AND from_time = ?', {
      replacements: [sqlTime(this.db.dialect, toMs), serviceId, sqlTime(this.db.dialect, fromMs)],
      transaction: t,
    });
  }

  /** Each service's history, oldest first (services without one are absent). */
  async historyOf(serviceIds: number[], t?: Transaction): Promise<Map<number, TariffEntry[]>> {
    const out = new Map<number, TariffEntry[]>();
    for (let i = 0; i < serviceIds.length; i += CHUNK) {
      const part = serviceIds.slice(i, i + CHUNK);
      const rows = await this.db.sequelize.query<{ service_id: number | string; tariff_code: string; from_time: unknown }>(
        `SELECT service_id, tariff_code, from_time FROM service_tariffs WHERE service_id IN (${part.map(() => '?').join(', ')}) ORDER BY service_id, from_time`,
        { replacements: part, type: QueryTypes.SELECT, transaction: t },
      );
      collect(rows, out);
    }
    return out;
  }

  /** The histories of every service of the given accounts, in one query per chunk of accounts. */
  async historyOfAccounts(accountIds: number[], t?: Transaction): Promise<Map<number, TariffEntry[]>> {
    const out = new Map<number, TariffEntry[]>();
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const part = accountIds.slice(i, i + CHUNK);
      const rows = await this.db.sequelize.query<{ service_id: number | string; tariff_code: string; from_time: unknown }>(
        `SELECT st.service_id, st.tariff_code, st.from_time FROM service_tariffs st JOIN services s ON s.id = st.service_id
         WHERE s.account_id IN (${part.map(() => '?').join(', ')}) ORDER BY st.service_id, st.from_time`,
        { replacements: part, type: QueryTypes.SELECT, transaction: t },
      );
      collect(rows, out);
    }
    return out;
  }
}

function collect(rows: Array<{ service_id: number | string; tariff_code: string; from_time: unknown }>, out: Map<number, TariffEntry[]>): void {
  for (const r of rows) {
    const id = Number(r.service_id);
    const list = out.get(id) ?? [];
    list.push({ code: String(r.tariff_code), fromMs: fromSqlTime(r.from_time).getTime() });
    out.set(id, list);
  }
}
