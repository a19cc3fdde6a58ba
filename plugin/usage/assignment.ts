import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import { heldByLogin, ownerAt, type ServiceSpan } from './service-match.js';
import { markBilledWindowsChanged } from './billed-windows.js';
import { fromSqlTime } from '../db/sql.js';

/**
 * The one place usage is assigned to services. Every writer of usage_hourly.service_id comes
 * through here with the rule of service-match.ts: the rollup when it writes a login's rows, a
 * service's creation or change (adoption of unassigned usage), and the catch-up.
 *
 * Why the services are read with a lock: the rollup and a service's creation both decide rows of
 * the same login. A plain read inside the rollup's transaction (MySQL's snapshot) could miss a
 * service created meanwhile and write its adopted rows back as unassigned. A locking read sees
 * the latest committed services and makes a concurrent creation of that login wait for the
 * rollup's commit (and vice versa), so whichever commits second decides with the other's writes
 * in view. The rows being reassigned are read with a lock too, for the same reason.
 */
const IN_CHUNK = 500;

export class UsageAssignment {
  constructor(private readonly deps: { db: Database; timezone: string }) {}

  private lock(kind: 'share' | 'update'): string {
    if (this.deps.db.dialect !== 'mysql') return '';
    return kind === 'share' ? ' LOCK IN SHARE MODE' : ' FOR UPDATE';
  }

  /** The services of these logins, read with a lock (see above). */
  async spans(logins: readonly string[], t: Transaction): Promise<ServiceSpan[]> {
    const out: ServiceSpan[] = [];
    for (let i = 0; i < logins.length; i += IN_CHUNK) {
      const rows = await this.deps.db.sequelize.query<{ id: number; login: string; sd: string; ed: string | null; c: unknown }>(
        `SELECT id, login, CAST(start_date AS CHAR) AS sd, CAST(end_date AS CHAR) AS ed, created_at AS c FROM services WHERE login IN (?)${this.lock('share')}`,
        { replacements: [logins.slice(i, i + IN_CHUNK)], type: QueryTypes.SELECT, transaction: t },
      );
      for (const r of rows) {
        out.push({ id: Number(r.id), login: String(r.login), startDate: r.sd.slice(0, 10), endDate: r.ed ? r.ed.slice(0, 10) : null, createdAtMs: fromSqlTime(r.c).getTime() });
      }
    }
    return out;
  }

  /** A resolver for rows being written now: login and bucket start -> service id or null. */
  async resolver(logins: readonly string[], t: Transaction): Promise<(login: string, bucketMs: number) => number | null> {
    const held = heldByLogin(await this.spans(logins, t), this.deps.timezone);
    return (login, bucketMs) => {
      const spans = held.get(login);
      return spans ? ownerAt(spans, bucketMs) : null;
    };
  }

  /**
   * Re-decides the service of every stored row of these logins; returns how many rows moved to a
   * service (were unassigned or another's). Call it in the transaction that creates a service or
   * changes its login, dates or end.
   */
  async reassign(logins: readonly string[], t: Transaction): Promise<number> {
    if (logins.length === 0) return 0;
    const owner = await this.resolver(logins, t);
    const moves = new Map<number | null, string[]>();
    const touched = new Set<number | null>();
    let lo = Infinity;
    let hi = -Infinity;
    let assigned = 0;
    for (let i = 0; i < logins.length; i += IN_CHUNK) {
      const rows = await this.deps.db.sequelize.query<{ id: string; login: string; h: unknown; s: number | null }>(
        `SELECT CAST(id AS CHAR) AS id, login, hour_start AS h, service_id AS s FROM usage_hourly WHERE login IN (?)${this.lock('update')}`,
        { replacements: [logins.slice(i, i + IN_CHUNK)], type: QueryTypes.SELECT, transaction: t },
      );
      for (const r of rows) {
        const target = owner(String(r.login), fromSqlTime(r.h).getTime());
        const current = r.s === null ? null : Number(r.s);
        if (target === current) continue;
        if (target !== null) assigned++;
        const hour = fromSqlTime(r.h).getTime();
        touched.add(target).add(current);
        if (hour < lo) lo = hour;
        if (hour > hi) hi = hour;
        const list = moves.get(target);
        if (list) list.push(String(r.id));
        else moves.set(target, [String(r.id)]);
      }
    }
    for (const [serviceId, ids] of moves) {
      for (let i = 0; i < ids.length; i += 5000) {
        await this.deps.db.sequelize.query('UPDATE usage_hourly SET service_id = ? WHERE id IN (?)', { replacements: [serviceId, ids.slice(i, i + 5000)], transaction: t });
      }
    }
    // Hours that left a billed window, or reached one, are a late adjustment for billing.
    if (touched.size) await markBilledWindowsChanged(this.deps.db, touched, lo, hi, t);
    return assigned;
  }

  /**
   * Logins with unassigned rows and at least one service, in login order after `after`: the
   * catch-up walks them with a cursor, so a login whose rows no service covers (it stays a
   * candidate) cannot keep another from its turn.
   */
  async candidates(after: string, limit: number): Promise<string[]> {
    const rows = await this.deps.db.sequelize.query<{ login: string }>(
      `SELECT DISTINCT u.login AS login FROM usage_hourly u JOIN services s ON s.login = u.login
        WHERE u.service_id IS NULL AND u.login > ? ORDER BY u.login LIMIT ?`,
      { replacements: [after, limit], type: QueryTypes.SELECT },
    );
    return rows.map((r) => String(r.login));
  }
}
