import { QueryTypes, type Transaction } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { ObservationSource } from '../common/wire.js';
import { markBilledWindowsChanged } from './billed-windows.js';
import type { Database } from '../db/database.js';
import type { CounterPoint } from './counters.js';
import type { HourUsage } from './hour-split.js';
import type { ObservedPoint } from './session-usage.js';
import type { HourlyRow, SessionBucket } from './hourly-rows.js';
import type { SessionTime } from './source-choice.js';
import { fromSqlTime, msOf, sqlList, sqlLiteral, sqlMs, sqlRows, sqlTime, type SqlValue } from '../db/sql.js';

export interface StoredObservation extends ObservedPoint {
  id: string;
  sessionKey: string;
  agentId: number;
  source: ObservationSource;
  sourceName: string;
  sessionId: string;
  login: string;
  sessionStartMs: number | null;
  rolledUp: boolean;
}

export interface SessionRow {
  id: string | null;
  sessionKey: string;
  agentId: number;
  source: ObservationSource;
  sourceName: string;
  sessionId: string;
  login: string;
  sessionStartMs: number | null;
  firstObservedMs: number;
  lastObservedMs: number;
  lastDownload: bigint;
  lastUpload: bigint;
  ended: boolean;
  framedIp: string | null;
  anchor: CounterPoint | null;
  ignoredLate: number;
}

/** saveSessions' work, built: the known sessions (by id), the new ones, and the statements. */
export interface PreparedSessions {
  known: SessionRow[];
  fresh: SessionRow[];
  statements: string[];
}

const IN_CHUNK = 2000;

const observationColumns = (d: 'mysql' | 'sqlite') => `CAST(id AS CHAR) AS id, session_key, agent_id, source, source_name, session_id, login,
  ${sqlMs(d, 'session_start')} AS session_start, ${sqlMs(d, 'observed_at')} AS observed_at,
  CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u, ended, synthetic, framed_ip, rolled_up`;

function observationOf(r: Record<string, unknown>): StoredObservation {
  return {
    id: String(r.id),
    sessionKey: String(r.session_key),
    agentId: Number(r.agent_id),
    source: r.source as ObservationSource,
    sourceName: String(r.source_name),
    sessionId: String(r.session_id),
    login: String(r.login),
    sessionStartMs: msOf(r.session_start),
    atMs: msOf(r.observed_at)!,
    download: toBigInt(r.d as string),
    upload: toBigInt(r.u as string),
    ended: Boolean(Number(r.ended)),
    synthetic: Boolean(Number(r.synthetic)),
    framedIp: (r.framed_ip as string | null) ?? null,
    rolledUp: Boolean(Number(r.rolled_up)),
  };
}

/** Numeric order of ids held as decimal strings (BIGINT). */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The most values of an IN list that is to be read as ranges of an index whose first column it
 * lists (with more columns of that index bounded after it). MariaDB turns an IN list of
 * `in_predicate_conversion_threshold` (default 1,000) values or more into a join with a table of
 * the values, and that join looks rows up by the index's first column alone: each session's
 * every bucket was read to keep the one or two of the range, each login's every hour, and for
 * usage_hourly the optimizer took the hour_start index instead, reading every row of the
 * bucket once per statement. On the rollup bench's state, 2,000 logins read 48,000 index
 * entries for 4,000 rows; 999 read 1,998 for 1,998 (Handler_read_next).
 */
const RANGE_LIST = 999;

/** `items` in parts of at most RANGE_LIST, as even as can be (2,000 -> 3 x 667, not 999 + 999 + 2). */
export function rangeParts<T>(items: readonly T[]): T[][] {
  const parts = Math.ceil(items.length / RANGE_LIST);
  return parts <= 1 ? (items.length > 0 ? [items.slice()] : []) : chunks(items, Math.ceil(items.length / parts));
}

/** The rollup's and the pruning's SQL: multi-row statements with replacements, both dialects. */
export class UsageRepository {
  constructor(private readonly db: Database) {}

  // No replacements is `undefined`, not []: given an array, even an empty one, sequelize walks the
  // whole statement character by character looking for placeholders, and the rollup's statements
  // carry thousands of rows as literals: 0.32 s of the plugin's 9.4 s of CPU in a profile of the
  // end-to-end bench (test/bench/radius-e2e.bench.ts --cpu-prof), gone with undefined.
  private q<T extends object>(sql: string, replacements: unknown[], t?: Transaction): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { replacements: replacements.length ? replacements : undefined, type: QueryTypes.SELECT, transaction: t });
  }

  private run(sql: string, replacements: unknown[], t?: Transaction): Promise<unknown> {
    return this.db.sequelize.query(sql, { replacements: replacements.length ? replacements : undefined, transaction: t });
  }

  private t(at: number | Date): string {
    return sqlTime(this.db.dialect, at);
  }

  /** A time as an SQL literal. */
  private tl(at: number | Date): string {
    return `'${sqlTime(this.db.dialect, at)}'`;
  }

  private list(values: readonly SqlValue[]): string {
    return sqlList(this.db.dialect, values);
  }

  private rows(rows: ReadonlyArray<readonly SqlValue[]>): string {
    return sqlRows(this.db.dialect, rows);
  }

  private ms(column: string): string {
    return sqlMs(this.db.dialect, column);
  }

  /**
   * Reads of usage_hourly by logins and an hour range go through (login, hour_start). On MariaDB
   * the optimizer otherwise takes the hour_start index when the range's bucket held few rows at
   * its last estimate (a new bucket early in a round) and then reads, and locks, every row of the
   * bucket for each statement.
   */
  private byLoginHour(): string {
    return this.db.dialect === 'mysql' ? ' FORCE INDEX (usage_hourly_login_hour)' : '';
  }

  /** Sessions with observations the rollup has not folded in yet. */
  async pendingSessionKeys(limit: number, t?: Transaction): Promise<string[]> {
    const rows = await this.q<{ k: string }>('SELECT DISTINCT session_key AS k FROM usage_observations WHERE rolled_up = 0 LIMIT ?', [limit], t);
    return rows.map((r) => r.k);
  }

  /** Every known session, in key order (for a full rebuild). */
  async sessionKeysAfter(after: string, limit: number, t?: Transaction): Promise<string[]> {
    const rows = await this.q<{ k: string }>('SELECT session_key AS k FROM usage_sessions WHERE session_key > ? ORDER BY session_key LIMIT ?', [after, limit], t);
    return rows.map((r) => r.k);
  }

  /** Sessions holding raw observations at or before `cutoffMs` (candidates for pruning). */
  async prunableSessionKeys(cutoffMs: number, limit: number, t?: Transaction): Promise<string[]> {
    const rows = await this.q<{ k: string }>('SELECT DISTINCT session_key AS k FROM usage_observations WHERE observed_at <= ? LIMIT ?', [this.t(cutoffMs), limit], t);
    return rows.map((r) => r.k);
  }

  /** All stored observations of the sessions, or only those not rolled up yet. */
  /**
   * The oldest observations not rolled up yet, at most `limit` (by id: new rows append to the
   * (rolled_up) index, so this is one range scan, where looking them up by session would be one
   * index dive per session).
   *
   * Ordered by the column, qualified: the select list's `id` is CAST(id AS CHAR), and a bare
   * `ORDER BY id` meant that text (on MariaDB and SQLite alike): '10' before '9', and on MariaDB
   * a filesort of every pending row past the cursor for each chunk (50,000 on average in the
   * bench's round, 2.5 million rows read per round), where the index order stops at `limit`.
   */
  async pendingObservations(limit: number, t?: Transaction): Promise<StoredObservation[]> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${observationColumns(this.db.dialect)} FROM usage_observations WHERE rolled_up = 0 ORDER BY usage_observations.id LIMIT ${sqlLiteral(this.db.dialect, limit)}`, [], t);
    return rows.map(observationOf);
  }

  /**
   * The same, after observation `afterId` (a keyset cursor: the range starts past the entries
   * earlier chunks of the run just marked, which stay in the (rolled_up = 0) part of the index,
   * delete-marked, until InnoDB's purge removes them; a purge held back by a long transaction
   * made every chunk's scan walk all of them again).
   */
  async pendingObservationsAfter(afterId: string, limit: number, t?: Transaction): Promise<StoredObservation[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT ${observationColumns(this.db.dialect)} FROM usage_observations WHERE rolled_up = 0 AND id > ${sqlLiteral(this.db.dialect, BigInt(afterId))} ORDER BY usage_observations.id LIMIT ${sqlLiteral(this.db.dialect, limit)}`,
      [],
      t,
    );
    return rows.map(observationOf);
  }

  async loadObservations(keys: readonly string[], t?: Transaction, onlyPending = false): Promise<StoredObservation[]> {
    const out: StoredObservation[] = [];
    for (const part of chunks(keys)) {
      const rows = await this.q<Record<string, unknown>>(
        `SELECT ${observationColumns(this.db.dialect)} FROM usage_observations WHERE session_key IN ${this.list(part)}${onlyPending ? ' AND rolled_up = 0' : ''}`,
        [],
        t,
      );
      for (const r of rows) out.push(observationOf(r));
    }
    return out;
  }

  async loadSessions(keys: readonly string[], t?: Transaction): Promise<Map<string, SessionRow>> {
    const out = new Map<string, SessionRow>();
    for (const part of chunks(keys)) {
      const rows = await this.q<Record<string, unknown>>(
        `SELECT CAST(id AS CHAR) AS id, session_key, agent_id, source, source_name, session_id, login, ${this.ms('session_start')} AS session_start,
                ${this.ms('first_observed_at')} AS first_observed_at, ${this.ms('last_observed_at')} AS last_observed_at,
                CAST(last_download AS CHAR) AS ld, CAST(last_upload AS CHAR) AS lu, ended, framed_ip,
                ${this.ms('anchor_observed_at')} AS anchor_observed_at, CAST(anchor_download AS CHAR) AS ad, CAST(anchor_upload AS CHAR) AS au, ignored_late
           FROM usage_sessions WHERE session_key IN ${this.list(part)}`,
        [],
        t,
      );
      for (const r of rows) {
        const anchorAt = msOf(r.anchor_observed_at);
        out.set(String(r.session_key), {
          id: String(r.id),
          sessionKey: String(r.session_key),
          agentId: Number(r.agent_id),
          source: r.source as ObservationSource,
          sourceName: String(r.source_name),
          sessionId: String(r.session_id),
          login: String(r.login),
          sessionStartMs: msOf(r.session_start),
          firstObservedMs: msOf(r.first_observed_at)!,
          lastObservedMs: msOf(r.last_observed_at)!,
          lastDownload: toBigInt(r.ld as string),
          lastUpload: toBigInt(r.lu as string),
          ended: Boolean(Number(r.ended)),
          framedIp: (r.framed_ip as string | null) ?? null,
          anchor: anchorAt !== null ? { atMs: anchorAt, download: toBigInt(r.ad as string), upload: toBigInt(r.au as string) } : null,
          ignoredLate: Number(r.ignored_late),
        });
      }
    }
    return out;
  }

  /**
   * Inserts or updates sessions; returns key -> id. A known session (its id read by loadSessions)
   * is updated by primary key, in id order: on MariaDB an upsert that conflicts on the primary
   * key finds its row at once, where one by session_key first inserts a row with a new
   * auto-increment id, meets the unique key and undoes the insert (most of a round's cost of this
   * statement at 100,000 sessions). Only new sessions go by key.
   */
  async saveSessions(rows: readonly SessionRow[], now: Date, t: Transaction, prepared?: PreparedSessions): Promise<Map<string, string>> {
    const { known, fresh, statements } = prepared ?? this.prepareSessions(rows, now);
    for (const sql of statements) await this.run(sql, [], t);
    const ids = new Map<string, string>();
    for (const r of known) ids.set(r.sessionKey, r.id!);
    for (const part of chunks(fresh.map((r) => r.sessionKey))) {
      const found = await this.q<{ id: string; k: string }>(`SELECT CAST(id AS CHAR) AS id, session_key AS k FROM usage_sessions WHERE session_key IN ${this.list(part)}`, [], t);
      for (const f of found) ids.set(f.k, String(f.id));
    }
    return ids;
  }

  /** saveSessions' statements, built ahead of the transaction that runs them (no I/O). */
  prepareSessions(rows: readonly SessionRow[], now: Date): PreparedSessions {
    const cols = ['session_key', 'agent_id', 'source', 'source_name', 'session_id', 'login', 'session_start', 'first_observed_at', 'last_observed_at',
      'last_download', 'last_upload', 'ended', 'framed_ip', 'anchor_observed_at', 'anchor_download', 'anchor_upload', 'ignored_late', 'updated_at'];
    const updates = cols.filter((c) => c !== 'session_key');
    const onConflict = (target: string) => this.onConflict(target, updates.map((c) => [c, 'new'] as const));
    const stamp = this.t(now);
    const values = (s: SessionRow): SqlValue[] => [
      s.sessionKey, s.agentId, s.source, s.sourceName, s.sessionId, s.login,
      s.sessionStartMs === null ? null : this.t(s.sessionStartMs), this.t(s.firstObservedMs), this.t(s.lastObservedMs),
      s.lastDownload, s.lastUpload, s.ended, s.framedIp,
      s.anchor ? this.t(s.anchor.atMs) : null, s.anchor?.download ?? null, s.anchor?.upload ?? null,
      s.ignoredLate, stamp,
    ];
    const known = rows.filter((r) => r.id !== null).sort((a, b) => compareIds(a.id!, b.id!));
    const fresh = rows.filter((r) => r.id === null);
    const statements: string[] = [];
    for (const part of chunks(known, 2500)) {
      statements.push(`INSERT INTO usage_sessions (id, ${cols.join(', ')}) VALUES ${this.rows(part.map((s) => [s.id, ...values(s)]))} ${onConflict('id')}`);
    }
    for (const part of chunks(fresh, 1000)) {
      statements.push(`INSERT INTO usage_sessions (${cols.join(', ')}) VALUES ${this.rows(part.map(values))} ${onConflict('session_key')}`);
    }
    return { known, fresh, statements };
  }

  /** The hour range a set of sessions' stored hours cover (part 1, or both parts). */
  async sessionHourRange(sessionIds: readonly string[], t?: Transaction): Promise<{ minMs: number; maxMs: number } | null> {
    let range: { minMs: number; maxMs: number } | null = null;
    for (const part of rangeParts(sessionIds)) {
      const [r] = await this.q<{ lo: unknown; hi: unknown }>('SELECT MIN(hour_start) AS lo, MAX(hour_start) AS hi FROM usage_session_hours WHERE part = 1 AND session_pk IN (?)', [part], t);
      if (!r || r.lo === null || r.lo === undefined) continue;
      const lo = fromSqlTime(r.lo).getTime();
      const hi = fromSqlTime(r.hi).getTime();
      range = range ? { minMs: Math.min(range.minMs, lo), maxMs: Math.max(range.maxMs, hi) } : { minMs: lo, maxMs: hi };
    }
    return range;
  }

  async loadSessionHours(sessionId: string, part: 0 | 1, t?: Transaction): Promise<Map<number, HourUsage>> {
    const rows = await this.q<{ h: unknown; d: string; u: string }>(
      'SELECT hour_start AS h, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u FROM usage_session_hours WHERE session_pk = ? AND part = ?',
      [sessionId, part],
      t,
    );
    return new Map(rows.map((r) => [fromSqlTime(r.h).getTime(), { download: toBigInt(r.d), upload: toBigInt(r.u) }]));
  }

  /** Replaces the given part of each session's hours. */
  async replaceSessionHours(part: 0 | 1, bySession: ReadonlyMap<string, ReadonlyMap<number, HourUsage>>, t: Transaction): Promise<void> {
    const ids = [...bySession.keys()];
    for (const p of rangeParts(ids)) await this.run(`DELETE FROM usage_session_hours WHERE part = ${part} AND session_pk IN ${this.list(p)}`, [], t);
    const rows: SqlValue[][] = [];
    for (const [id, hours] of bySession) {
      for (const [h, u] of hours) rows.push([id, part, this.t(h), u.download, u.upload]);
    }
    for (const p of chunks(rows, 2500)) {
      await this.run(`INSERT INTO usage_session_hours (session_pk, part, hour_start, download, upload) VALUES ${this.rows(p)}`, [], t);
    }
  }

  /** Adds usage to the given part of sessions' hours (rows created as needed). */
  async addSessionHours(part: 0 | 1, bySession: ReadonlyMap<string, ReadonlyMap<number, HourUsage>>, t: Transaction, prepared?: readonly string[]): Promise<void> {
    for (const sql of prepared ?? this.prepareSessionHours(part, bySession)) await this.run(sql, [], t);
  }

  /** addSessionHours' statements, built ahead of the transaction that runs them (no I/O). */
  prepareSessionHours(part: 0 | 1, bySession: ReadonlyMap<string, ReadonlyMap<number, HourUsage>>): string[] {
    const rows: SqlValue[][] = [];
    // In primary-key order (session, part, bucket): each statement walks the table's pages once.
    for (const id of [...bySession.keys()].sort(compareIds)) {
      const hours = bySession.get(id)!;
      for (const [h, u] of hours.size > 1 ? [...hours].sort((a, b) => a[0] - b[0]) : hours) rows.push([id, part, this.t(h), u.download, u.upload]);
    }
    const onConflict = this.onConflict('session_pk, part, hour_start', [['download', 'add'], ['upload', 'add']]);
    return chunks(rows, 2500).map((p) => `INSERT INTO usage_session_hours (session_pk, part, hour_start, download, upload) VALUES ${this.rows(p)} ${onConflict}`);
  }

  /**
   * The sessions of the logins whose time (source-choice.ts: start to latest observation)
   * intersects [fromMs, toMs].
   */
  async sessionTimes(logins: readonly string[], fromMs: number, toMs: number, t?: Transaction): Promise<SessionTime[]> {
    const out: SessionTime[] = [];
    const start = 'CASE WHEN session_start IS NOT NULL AND session_start <= first_observed_at THEN session_start ELSE first_observed_at END';
    // One statement per chunk of the rollup (literals written by sql.ts, times read as epoch ms).
    for (const part of chunks(logins)) {
      const rows = await this.q<{ id: string; login: string; source: string; st: unknown; en: unknown }>(
        `SELECT CAST(id AS CHAR) AS id, login, source, ${this.ms(start)} AS st, ${this.ms('last_observed_at')} AS en
           FROM usage_sessions WHERE login IN ${this.list(part)} AND ${start} <= ${this.tl(toMs)} AND last_observed_at >= ${this.tl(fromMs)}`,
        [],
        t,
      );
      for (const r of rows) {
        out.push({ id: String(r.id), login: String(r.login), source: r.source as ObservationSource, startMs: msOf(r.st)!, endMs: msOf(r.en)! });
      }
    }
    return out;
  }

  /** Each session's usage per bucket (frozen and live parts together) within [fromMs, toMs). */
  async sessionBuckets(sessionIds: readonly string[], fromMs: number, toMs: number, t?: Transaction): Promise<SessionBucket[]> {
    const byKey = new Map<string, SessionBucket>();
    for (const part of rangeParts(sessionIds)) {
      // `part IN (0, 1)` makes each session two tight ranges of the primary key (session_pk,
      // part, hour_start), where without it each session's every bucket was read and filtered;
      // the parts are added here rather than by a GROUP BY (a temporary table and a sort).
      const rows = await this.q<{ id: string; h: unknown; d: string; u: string }>(
        `SELECT CAST(session_pk AS CHAR) AS id, ${this.ms('hour_start')} AS h, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u
           FROM usage_session_hours WHERE session_pk IN ${this.list(part.map(BigInt))} AND part IN (0, 1) AND hour_start >= ${this.tl(fromMs)} AND hour_start < ${this.tl(toMs)}`,
        [],
        t,
      );
      for (const r of rows) {
        const id = String(r.id);
        const bucketMs = msOf(r.h)!;
        const key = `${id}\u0000${bucketMs}`;
        const b = byKey.get(key);
        if (b) {
          b.download += toBigInt(r.d);
          b.upload += toBigInt(r.u);
        } else {
          byKey.set(key, { sessionId: id, bucketMs, download: toBigInt(r.d), upload: toBigInt(r.u) });
        }
      }
    }
    return [...byKey.values()];
  }

  /** Replaces usage_hourly for the logins within [fromMs, toMs] with the given rows. */
  async replaceHourly(
    logins: readonly string[],
    fromMs: number,
    toMs: number,
    rows: readonly HourlyRow[],
    now: Date,
    t: Transaction,
  ): Promise<void> {
    const touched = new Set<number | null>(rows.map((r) => r.serviceId));
    const range = `hour_start >= ${this.tl(fromMs)} AND hour_start <= ${this.tl(toMs)}`;
    for (const part of rangeParts(logins)) {
      for (const r of await this.q<{ s: number | null }>(`SELECT DISTINCT service_id AS s FROM usage_hourly${this.byLoginHour()} WHERE login IN ${this.list(part)} AND ${range}`, [], t)) {
        touched.add(r.s === null ? null : Number(r.s));
      }
      await this.run(`DELETE FROM usage_hourly WHERE login IN ${this.list(part)} AND ${range}`, [], t);
    }
    await markBilledWindowsChanged(this.db, touched, fromMs, toMs, t);
    const stamp = this.t(now);
    for (const part of chunks(rows, 2500)) {
      await this.run(
        `INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${this.rows(part.map((r) => [r.login, this.t(r.hourMs), r.serviceId, r.source, r.download, r.upload, stamp]))}`,
        [],
        t,
      );
    }
  }

  /**
   * The rows of usage_hourly there now for these (login, bucket) pairs: id and service, read
   * with a lock on MySQL (the latest committed rows, which the caller is about to change; an
   * assignment of the same login waits for the caller's commit, and the caller for its).
   */
  private async hourlyRowsAt(pairs: ReadonlyArray<{ login: string; hourMs: number }>, t: Transaction): Promise<Map<string, { id: string; serviceId: number | null }>> {
    const out = new Map<string, { id: string; serviceId: number | null }>();
    if (pairs.length === 0) return out;
    const lo = minHour(pairs);
    const hi = maxHour(pairs);
    const lock = this.db.dialect === 'mysql' ? ' FOR UPDATE' : '';
    for (const part of rangeParts([...new Set(pairs.map((r) => r.login))])) {
      const found = await this.q<{ id: string; login: string; h: unknown; s: number | string | null }>(
        `SELECT CAST(id AS CHAR) AS id, login, ${this.ms('hour_start')} AS h, service_id AS s FROM usage_hourly${this.byLoginHour()}
          WHERE login IN ${this.list(part)} AND hour_start >= ${this.tl(lo)} AND hour_start <= ${this.tl(hi)}${lock}`,
        [],
        t,
      );
      for (const f of found) out.set(`${f.login}\u0000${msOf(f.h)}`, { id: String(f.id), serviceId: f.s === null ? null : Number(f.s) });
    }
    return out;
  }

  /**
   * Writes rows of usage_hourly over what is there (by login and bucket), deleting nothing: for
   * the rollup where usage was only added, so no row of the range can have gone.
   * The ids of the rows already there are read first (an index range of the unique (login,
   * hour_start) index), and those rows are updated by primary key in id order; only rows not
   * there yet are inserted by (login, hour_start). (An upsert by the unique key on MariaDB first
   * inserts a row with a new auto-increment id and undoes it on the conflict.)
   */
  async upsertHourly(rows: readonly HourlyRow[], now: Date, t: Transaction): Promise<void> {
    if (rows.length === 0) return;
    const existing = await this.hourlyRowsAt(rows, t);
    const touched = new Set<number | null>(rows.map((r) => r.serviceId));
    for (const e of existing.values()) touched.add(e.serviceId);
    await markBilledWindowsChanged(this.db, touched, minHour(rows), maxHour(rows), t);
    const stamp = this.t(now);
    const cols = ['service_id', 'source', 'download', 'upload', 'updated_at'];
    const values = (r: HourlyRow): SqlValue[] => [r.login, this.t(r.hourMs), r.serviceId, r.source, r.download, r.upload, stamp];
    const known: Array<{ id: string; row: HourlyRow }> = [];
    const fresh: HourlyRow[] = [];
    for (const r of rows) {
      const e = existing.get(`${r.login}\u0000${r.hourMs}`);
      if (e === undefined) fresh.push(r);
      else known.push({ id: e.id, row: r });
    }
    known.sort((a, b) => compareIds(a.id, b.id));
    for (const part of chunks(known, 2500)) {
      await this.run(
        `INSERT INTO usage_hourly (id, login, hour_start, service_id, source, download, upload, updated_at) VALUES ${this.rows(part.map((k) => [BigInt(k.id), ...values(k.row)]))} ${this.onConflict('id', cols.map((c) => [c, 'new']))}`,
        [],
        t,
      );
    }
    for (const part of chunks(fresh, 2500)) {
      await this.run(
        `INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${this.rows(part.map(values))} ${this.onConflict('login, hour_start', cols.map((c) => [c, 'new']))}`,
        [],
        t,
      );
    }
  }

  /** An upsert's conflict clause: each column set to the new value, or the new value added. */
  private onConflict(target: string, columns: ReadonlyArray<readonly [string, 'new' | 'add']>): string {
    if (this.db.dialect === 'mysql') return `ON DUPLICATE KEY UPDATE ${columns.map(([c, how]) => (how === 'add' ? `${c} = ${c} + VALUES(${c})` : `${c} = VALUES(${c})`)).join(', ')}`;
    return `ON CONFLICT(${target}) DO UPDATE SET ${columns.map(([c, how]) => (how === 'add' ? `${c} = ${c} + excluded.${c}` : `${c} = excluded.${c}`)).join(', ')}`;
  }

  /** In id order: the rows and their (rolled_up) index entries are then visited in key order. */
  async markRolledUp(observationIds: readonly string[], t: Transaction): Promise<void> {
    for (const part of chunks([...observationIds].sort(compareIds), 10_000)) await this.run(`UPDATE usage_observations SET rolled_up = 1 WHERE ${idRanges(part.map(BigInt))}`, [], t);
  }

  async deleteObservations(observationIds: readonly string[], t: Transaction): Promise<void> {
    for (const part of chunks(observationIds, 5000)) await this.run(`DELETE FROM usage_observations WHERE id IN ${this.list(part.map(BigInt))}`, [], t);
  }
}

function minHour(rows: ReadonlyArray<{ hourMs: number }>): number {
  let lo = Infinity;
  for (const r of rows) if (r.hourMs < lo) lo = r.hourMs;
  return lo;
}

function maxHour(rows: ReadonlyArray<{ hourMs: number }>): number {
  let hi = -Infinity;
  for (const r of rows) if (r.hourMs > hi) hi = r.hourMs;
  return hi;
}

/**
 * A WHERE for exactly these ids (ascending, distinct): runs of consecutive ids as BETWEEN ranges,
 * the rest as one IN list. A chunk's observations are mostly one run (they are read in id order),
 * so the statement carries two numbers instead of thousands.
 */
export function idRanges(ids: readonly bigint[]): string {
  const ranges: string[] = [];
  const single: bigint[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1n) j++;
    if (j - i >= 2) ranges.push(`id BETWEEN ${ids[i]} AND ${ids[j]}`);
    else for (let k = i; k <= j; k++) single.push(ids[k]!);
    i = j + 1;
  }
  if (single.length > 0) ranges.push(`id IN (${single.join(', ')})`);
  return ranges.length > 0 ? ranges.join(' OR ') : '1 = 0';
}
