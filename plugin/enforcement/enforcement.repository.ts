import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { EnforcementState } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { CauseKind, DesiredRow, EnforcementRow } from './state.js';

/** UTC 'YYYY-MM-DD HH:MM:SS.mmm', read the same way by SQLite and MySQL. */
const sqlTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
const dateOf = (v: unknown): Date | null =>
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + (String(v).endsWith('Z') ? '' : 'Z'));

interface Raw {
  service_id: number;
  desired: string;
  rate: string | null;
  version: number;
  cause_kind: string;
  cause_detail: string;
  cause_actor: string;
  changed_at: unknown;
  applied: string | null;
  applied_rate: string | null;
  applied_version: number | null;
  applied_at: unknown;
  applied_error: string | null;
  device: string | null;
}

function rowOf(r: Raw): EnforcementRow {
  return {
    serviceId: Number(r.service_id),
    desired: r.desired as EnforcementState,
    rate: r.rate,
    version: Number(r.version),
    cause: { kind: r.cause_kind as CauseKind, detail: r.cause_detail, actor: r.cause_actor },
    changedAt: dateOf(r.changed_at)!,
    applied: r.applied as EnforcementState | null,
    appliedRate: r.applied_rate,
    appliedVersion: r.applied_version === null ? null : Number(r.applied_version),
    appliedAt: dateOf(r.applied_at),
    error: r.applied_error,
    device: r.device,
  };
}

export interface HistoryEvent {
  serviceId: number;
  version: number;
  kind: 'desired' | 'applied';
  state: EnforcementState;
  rate: string | null;
  causeKind: CauseKind | null;
  detail: string | null;
  actor: string;
  at: Date;
}

/** The tables enforcement_state and enforcement_events (migration 0018). */
export class EnforcementRepository {
  private readonly sequelize: Sequelize;
  constructor(private readonly db: Database) {
    this.sequelize = db.sequelize;
  }

  /** The rows of these services (absent: never touched, i.e. active at version 0); locked for update on MySQL. */
  async get(serviceIds: number[], t?: Transaction, forUpdate = false): Promise<Map<number, EnforcementRow>> {
    const out = new Map<number, EnforcementRow>();
    for (let i = 0; i < serviceIds.length; i += 500) {
      const ids = serviceIds.slice(i, i + 500);
      if (ids.length === 0) continue;
      const lock = forUpdate && this.db.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const rows = await this.sequelize.query<Raw>(`SELECT * FROM enforcement_state WHERE service_id IN (?)${lock}`, { replacements: [ids], type: QueryTypes.SELECT, transaction: t });
      for (const r of rows) out.set(Number(r.service_id), rowOf(r));
    }
    return out;
  }

  /** Rows not active (or all with `all`), oldest change first. */
  /** `unconfirmedToo` adds the services whose last change the agent has not confirmed (a restore on its way). */
  async list(filter: { desired?: EnforcementState; notActive?: boolean; unconfirmedToo?: boolean }, t?: Transaction): Promise<EnforcementRow[]> {
    const unconfirmed = 'applied_version IS NULL OR applied_version <> version OR applied_error IS NOT NULL';
    const where = filter.desired
      ? 'WHERE desired = ?'
      : filter.notActive
        ? filter.unconfirmedToo
          ? `WHERE desired <> 'active' OR ${unconfirmed}`
          : "WHERE desired <> 'active'"
        : '';
    const rows = await this.sequelize.query<Raw>(`SELECT * FROM enforcement_state ${where} ORDER BY changed_at, service_id`, {
      replacements: filter.desired ? [filter.desired] : [],
      type: QueryTypes.SELECT,
      transaction: t,
    });
    return rows.map(rowOf);
  }

  /** The highest version of each of these services (what a stream compares to find changes). */
  async versions(serviceIds: number[], t?: Transaction): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < serviceIds.length; i += 500) {
      const ids = serviceIds.slice(i, i + 500);
      if (ids.length === 0) continue;
      const rows = await this.sequelize.query<{ service_id: number; version: number }>('SELECT service_id, version FROM enforcement_state WHERE service_id IN (?)', {
        replacements: [ids],
        type: QueryTypes.SELECT,
        transaction: t,
      });
      for (const r of rows) out.set(Number(r.service_id), Number(r.version));
    }
    return out;
  }

  async saveDesired(row: DesiredRow, exists: boolean, t: Transaction): Promise<void> {
    const v = [row.desired, row.rate, row.version, row.cause.kind, row.cause.detail, row.cause.actor, sqlTime(row.changedAt), row.serviceId];
    if (exists) {
      await this.sequelize.query('UPDATE enforcement_state SET desired = ?, rate = ?, version = ?, cause_kind = ?, cause_detail = ?, cause_actor = ?, changed_at = ? WHERE service_id = ?', {
        replacements: v,
        transaction: t,
      });
    } else {
      await this.sequelize.query(
        'INSERT INTO enforcement_state (desired, rate, version, cause_kind, cause_detail, cause_actor, changed_at, service_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        { replacements: v, transaction: t },
      );
    }
  }

  /**
   * Records what an agent applied, unless it already reported a newer version (reports may arrive
   * out of order). Returns false when the report was older than what is recorded or the service
   * has no desired state.
   */
  async saveApplied(
    a: { serviceId: number; version: number; applied: EnforcementState; rate: string | null; error: string | null; at: Date; device: string },
    t: Transaction,
  ): Promise<boolean> {
    const [, meta] = await this.sequelize.query(
      'UPDATE enforcement_state SET applied = ?, applied_rate = ?, applied_version = ?, applied_at = ?, applied_error = ?, device = ? WHERE service_id = ? AND version >= ? AND (applied_version IS NULL OR applied_version <= ?)',
      // QueryTypes.UPDATE: both dialects then hand back the number of rows changed.
      { replacements: [a.applied, a.rate, a.version, sqlTime(a.at), a.error, a.device, a.serviceId, a.version, a.version], transaction: t, type: QueryTypes.UPDATE },
    );
    return affected(meta) > 0;
  }

  async addEvent(e: HistoryEvent, t: Transaction): Promise<void> {
    await this.sequelize.query('INSERT INTO enforcement_events (service_id, version, kind, state, rate, cause_kind, detail, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', {
      replacements: [e.serviceId, e.version, e.kind, e.state, e.rate, e.causeKind, e.detail?.slice(0, 1000) ?? null, e.actor, sqlTime(e.at)],
      transaction: t,
    });
  }

  async history(serviceId: number, limit = 50, t?: Transaction): Promise<HistoryEvent[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>('SELECT * FROM enforcement_events WHERE service_id = ? ORDER BY id DESC LIMIT ?', {
      replacements: [serviceId, limit],
      type: QueryTypes.SELECT,
      transaction: t,
    });
    return rows.map((r) => ({
      serviceId: Number(r.service_id),
      version: Number(r.version),
      kind: r.kind as 'desired' | 'applied',
      state: r.state as EnforcementState,
      rate: (r.rate as string | null) ?? null,
      causeKind: (r.cause_kind as CauseKind | null) ?? null,
      detail: (r.detail as string | null) ?? null,
      actor: String(r.actor),
      at: dateOf(r.at)!,
    }));
  }
}

function affected(meta: unknown): number {
  if (typeof meta === 'number') return meta;
  const m = meta as { changes?: number; affectedRows?: number } | undefined;
  return m?.affectedRows ?? m?.changes ?? 0;
}
