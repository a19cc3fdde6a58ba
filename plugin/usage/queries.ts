import { QueryTypes } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { Clock } from '../common/clock.js';
import { NotFoundError } from '../common/errors.js';
import type { ObservationSource } from '../common/wire.js';
import type { Database } from '../db/database.js';
import { groupByLocalDay, localHourStartOf, type DayRow, type HourRow } from './local-time.js';
import { fromSqlTime, fromSqlTimeOrNull, sqlTime } from '../db/sql.js';

export interface ServiceUsage {
  serviceId: number;
  login: string;
  download: bigint;
  upload: bigint;
}

export interface AccountUsage {
  accountId: number;
  fromMs: number;
  toMs: number;
  timezone: string;
  download: bigint;
  upload: bigint;
  services: ServiceUsage[];
  days: DayRow[];
  hours: HourRow[];
}

export interface TopUser {
  login: string;
  serviceId: number | null;
  accountId: number | null;
  accountName: string | null;
  download: bigint;
  upload: bigint;
}

export interface LiveSession {
  source: ObservationSource;
  sourceName: string;
  sessionId: string;
  login: string;
  sessionStart: Date | null;
  lastObservedAt: Date;
  download: bigint;
  upload: bigint;
  framedIp: string | null;
}

export interface LiveFilter {
  sourceName?: string;
  logins?: readonly string[];
}

export interface UnassignedLogin {
  login: string;
  firstHour: Date;
  lastHour: Date;
  hours: number;
  download: bigint;
  upload: bigint;
}

/**
 * Reading usage: per service and per account for a period (from usage_hourly, the table
 * invoices are built from), top users, live sessions, unassigned usage. Periods are [fromMs,
 * toMs) in UTC; days are cut in the ISP's time zone.
 */
export class UsageQueries {
  constructor(private readonly deps: { db: Database; clock: Clock; timezone: string; liveWindowMinutes: number }) {}

  private q<T extends object>(sql: string, replacements: unknown[]): Promise<T[]> {
    return this.deps.db.sequelize.query<T>(sql, { replacements: replacements.length ? replacements : undefined, type: QueryTypes.SELECT });
  }

  private t(ms: number | Date): string {
    return sqlTime(this.deps.db.dialect, ms);
  }

  /** Rows of some services over a period, one per 15-minute bucket with usage (`hourMs` is the bucket's start). */
  async serviceHours(serviceIds: readonly number[], fromMs: number, toMs: number): Promise<Array<HourRow & { serviceId: number }>> {
    if (serviceIds.length === 0) return [];
    const rows = await this.q<{ s: number; h: unknown; d: string; u: string }>(
      `SELECT service_id AS s, hour_start AS h, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u
         FROM usage_hourly WHERE service_id IN (?) AND hour_start >= ? AND hour_start < ? ORDER BY hour_start`,
      [serviceIds, this.t(fromMs), this.t(toMs)],
    );
    return rows.map((r) => ({ serviceId: Number(r.s), hourMs: fromSqlTime(r.h).getTime(), download: toBigInt(r.d), upload: toBigInt(r.u) }));
  }

  async serviceUsage(serviceId: number, fromMs: number, toMs: number): Promise<{ download: bigint; upload: bigint; days: DayRow[]; hours: HourRow[] }> {
    const hours = await this.serviceHours([serviceId], fromMs, toMs);
    return {
      download: hours.reduce((a, h) => a + h.download, 0n),
      upload: hours.reduce((a, h) => a + h.upload, 0n),
      days: groupByLocalDay(hours, fromMs, toMs, this.deps.timezone),
      hours: mergeHours(hours, this.deps.timezone),
    };
  }

  async accountUsage(accountId: number, fromMs: number, toMs: number): Promise<AccountUsage> {
    const accounts = await this.q<{ id: number }>('SELECT id FROM accounts WHERE id = ?', [accountId]);
    if (accounts.length === 0) throw new NotFoundError(`no account ${accountId}`);
    const services = await this.q<{ id: number; login: string }>('SELECT id, login FROM services WHERE account_id = ? ORDER BY id', [accountId]);
    const hours = await this.serviceHours(services.map((s) => Number(s.id)), fromMs, toMs);
    const perService = services.map((s) => {
      const mine = hours.filter((h) => h.serviceId === Number(s.id));
      return { serviceId: Number(s.id), login: s.login, download: sum(mine, 'download'), upload: sum(mine, 'upload') };
    });
    return {
      accountId,
      fromMs,
      toMs,
      timezone: this.deps.timezone,
      download: sum(hours, 'download'),
      upload: sum(hours, 'upload'),
      services: perService,
      days: groupByLocalDay(hours, fromMs, toMs, this.deps.timezone),
      hours: mergeHours(hours, this.deps.timezone),
    };
  }

  /** The heaviest users of a period (download + upload), unassigned logins included. */
  async topUsers(fromMs: number, toMs: number, limit = 20): Promise<TopUser[]> {
    const rows = await this.q<{ login: string; s: number | null; d: string; u: string }>(
      `SELECT login, service_id AS s, CAST(SUM(download) AS CHAR) AS d, CAST(SUM(upload) AS CHAR) AS u
         FROM usage_hourly WHERE hour_start >= ? AND hour_start < ?
        GROUP BY login, service_id ORDER BY SUM(download) + SUM(upload) DESC, login LIMIT ?`,
      [this.t(fromMs), this.t(toMs), limit],
    );
    const ids = rows.map((r) => r.s).filter((s): s is number => s !== null).map(Number);
    const owners = ids.length
      ? await this.q<{ sid: number; aid: number; name: string }>(
          'SELECT s.id AS sid, a.id AS aid, a.name AS name FROM services s JOIN accounts a ON a.id = s.account_id WHERE s.id IN (?)',
          [ids],
        )
      : [];
    const bySid = new Map(owners.map((o) => [Number(o.sid), o]));
    return rows.map((r) => {
      const o = r.s === null ? undefined : bySid.get(Number(r.s));
      return {
        login: r.login,
        serviceId: r.s === null ? null : Number(r.s),
        accountId: o ? Number(o.aid) : null,
        accountName: o?.name ?? null,
        download: toBigInt(r.d),
        upload: toBigInt(r.u),
      };
    });
  }

  /** The WHERE of live sessions: not ended and seen within the live window, optionally filtered. */
  private liveWhere(filter: LiveFilter): { where: string; replacements: unknown[] } {
    const since = this.deps.clock.now().getTime() - this.deps.liveWindowMinutes * 60_000;
    const where = ['ended = 0', 'last_observed_at >= ?'];
    const replacements: unknown[] = [this.t(since)];
    if (filter.sourceName) {
      where.push('source_name = ?');
      replacements.push(filter.sourceName);
    }
    if (filter.logins) {
      where.push('login IN (?)');
      replacements.push(filter.logins);
    }
    return { where: where.join(' AND '), replacements };
  }

  /** Sessions not ended and seen within the live window, optionally of some logins only; at most `limit`. */
  async liveSessions(filter: LiveFilter = {}, limit = 10_000): Promise<LiveSession[]> {
    if (filter.logins && filter.logins.length === 0) return [];
    const { where, replacements } = this.liveWhere(filter);
    const rows = await this.q<Record<string, unknown>>(
      `SELECT source, source_name, session_id, login, session_start, last_observed_at, CAST(last_download AS CHAR) AS d,
              CAST(last_upload AS CHAR) AS u, framed_ip
         FROM usage_sessions WHERE ${where} ORDER BY source_name, login LIMIT ?`,
      [...replacements, limit],
    );
    return rows.map((r) => ({
      source: r.source as ObservationSource,
      sourceName: String(r.source_name),
      sessionId: String(r.session_id),
      login: String(r.login),
      sessionStart: fromSqlTimeOrNull(r.session_start),
      lastObservedAt: fromSqlTime(r.last_observed_at),
      download: toBigInt(r.d as string),
      upload: toBigInt(r.u as string),
      framedIp: (r.framed_ip as string | null) ?? null,
    }));
  }

  /** How many sessions liveSessions(filter) would return without a limit. */
  async countLiveSessions(filter: LiveFilter = {}): Promise<number> {
    if (filter.logins && filter.logins.length === 0) return 0;
    const { where, replacements } = this.liveWhere(filter);
    const rows = await this.q<{ n: number | string }>(`SELECT COUNT(*) AS n FROM usage_sessions WHERE ${where}`, replacements);
    return Number(rows[0]?.n ?? 0);
  }

  /** How many logins unassigned() would return without a limit. */
  async countUnassigned(): Promise<number> {
    const rows = await this.q<{ n: number | string }>('SELECT COUNT(DISTINCT login) AS n FROM usage_hourly WHERE service_id IS NULL', []);
    return Number(rows[0]?.n ?? 0);
  }

  /** Usage kept for logins that no service had at the time (by login; at most `limit`). */
  async unassigned(limit = 500): Promise<UnassignedLogin[]> {
    const rows = await this.q<{ login: string; lo: unknown; hi: unknown; n: number; d: string; u: string }>(
      `SELECT login, MIN(hour_start) AS lo, MAX(hour_start) AS hi, COUNT(*) AS n, CAST(SUM(download) AS CHAR) AS d, CAST(SUM(upload) AS CHAR) AS u
         FROM usage_hourly WHERE service_id IS NULL GROUP BY login ORDER BY login LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({
      login: r.login,
      firstHour: fromSqlTime(r.lo),
      lastHour: fromSqlTime(r.hi),
      hours: Number(r.n),
      download: toBigInt(r.d),
      upload: toBigInt(r.u),
    }));
  }
}

function sum(rows: ReadonlyArray<{ download: bigint; upload: bigint }>, key: 'download' | 'upload'): bigint {
  return rows.reduce((a, r) => a + r[key], 0n);
}

/** Buckets summed into the local hours of the ISP's zone (the UTC hours in whole-hour zones). */
function mergeHours(rows: readonly HourRow[], timezone: string): HourRow[] {
  const m = new Map<number, HourRow>();
  for (const r of rows) {
    const hourMs = localHourStartOf(r.hourMs, timezone);
    const cur = m.get(hourMs);
    if (cur) {
      cur.download += r.download;
      cur.upload += r.upload;
    } else m.set(hourMs, { hourMs, download: r.download, upload: r.upload });
  }
  return [...m.values()].sort((a, b) => a.hourMs - b.hourMs);
}
