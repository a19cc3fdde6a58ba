import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Database } from '../db/database.js';
import type { UsageAssignment } from './assignment.js';
import { BUCKET_MS, bucketStartOf, type HourUsage } from './hour-split.js';
import { hourlyRows } from './hourly-rows.js';
import type { SessionTime } from './source-choice.js';
import { incrementalStep, sessionUsage, type SessionUsage } from './session-usage.js';
import type { CounterPoint } from './counters.js';
import type { PreparedSessions, SessionRow, StoredObservation, UsageRepository } from './usage.repository.js';

export interface RollupStats {
  sessions: number;
  observations: number;
  chunks: number;
}

export interface RollupOptions {
  /**
   * Pending observations per transaction (about one per session in the steady state); default
   * 2,000 for a round, 500 sessions for a rebuild. Fewer, bigger statements and commits: the
   * rollup bench's round of 100,000 interims is measured with this size.
   */
  chunkSessions?: number;
  /**
   * Called first in each chunk's transaction: the job proves there that it still holds its lease
   * (plugin/jobs/lease.ts); throwing rolls the chunk back and stops the run.
   */
  fence?: (t: Transaction) => Promise<void>;
  /**
   * Read the next chunk while this one writes (default on MariaDB; SQLite has one writer and
   * in-process reads, so it gains nothing there). See rollupPipelined.
   */
  pipeline?: boolean;
}

/** A chunk read ahead, outside any transaction: its pending observations, folded with their sessions. */
interface ReadAhead {
  pending: StoredObservation[];
  byKey: Map<string, StoredObservation[]>;
  fold: Fold | null;
}

interface Fold {
  rows: SessionRow[];
  added: Map<string, Map<number, HourUsage>>;
  late: string[];
  read: number;
  prepared?: PreparedSessions;
  preparedHours?: string[];
}

/**
 * rollup: folds stored observations into sessions, each session's usage per hour
 * (usage_session_hours) and usage_hourly (per login and hour, with its service).
 *
 * Deterministic from the stored observations: a session's hours equal counters.ts applied to its
 * anchor and all its stored observations, whichever way they were reached. The usual step is
 * incremental (only the session's new observations are read, their hours added: equal by
 * counters.ts rule 5, see incrementalStep); a late observation makes the session be recomputed
 * whole; rebuildAll recomputes everything, and the tests check it changes no row. A login's
 * hourly rows are always rewritten from its sessions' hours, never added to, so they cannot drift.
 */
export class RollupService {
  /** Where the catch-up (assignPending) continues: the last login it looked at. */
  private assignCursor = '';

  constructor(private readonly deps: { db: Database; usage: UsageRepository; assignment: UsageAssignment; clock: Clock; logger: Logger }) {}

  async rollupPending(options: RollupOptions = {}): Promise<RollupStats> {
    const stats: RollupStats = { sessions: 0, observations: 0, chunks: 0 };
    const size = options.chunkSessions ?? 2000;
    if (options.pipeline ?? this.deps.db.dialect === 'mysql') await this.rollupPipelined(size, options.fence, stats);
    // What the pipelined pass left (all, without it): observations that committed below its
    // cursor while it ran, read fresh under the fence until none is pending.
    for (;;) {
      // A cheap look first, so an idle round opens no transaction; what counts is read below.
      if ((await this.deps.usage.pendingSessionKeys(1)).length === 0) break;
      const done = await this.deps.db.transaction(async (t) => {
        await options.fence?.(t);
        // Read under the fence, so what a chunk folds in is what no one else folds in.
        const pending = await this.deps.usage.pendingObservations(size, t);
        if (pending.length === 0) return null;
        const byKey = groupByKey(pending);
        return { sessions: byKey.size, observations: await this.rollupSessions([...byKey.keys()], byKey, t) };
      });
      if (!done) break;
      stats.sessions += done.sessions;
      stats.observations += done.observations;
      stats.chunks++;
    }
    return stats;
  }

  /**
   * One pass over the pending observations in id order (a keyset cursor), where chunk k+1's
   * observations and sessions are read, on another pooled connection and outside any
   * transaction, while chunk k's statements and commit run. Chunk k+1's transaction still
   * begins with the fence and does all its writes and the hourly reads after chunk k committed.
   *
   * Why the read ahead may stand in for a read under the fence: the fence proves, in the
   * transaction that writes, that no one took the lease since this run acquired it (a token
   * never comes back), so no other instance has folded in anything since before the read, and
   * only the lease's holder changes observations' rolled_up or sessions' rows. Within the run,
   * chunk k's uncommitted writes are not in the read: its observations are at or below the
   * cursor, and if chunk k+1 holds any session of chunk k (a session's observations cut between
   * chunks, or a late one chunk k recomputed whole), the read ahead is dropped and chunk k+1 is
   * read again under its fence, after chunk k's commit. An observation that commits below the
   * cursor while the pass runs is left to the fresh reads after it (rollupPending).
   */
  private async rollupPipelined(size: number, fence: RollupOptions['fence'], stats: RollupStats): Promise<void> {
    const { usage, db } = this.deps;
    if ((await usage.pendingSessionKeys(1)).length === 0) return;
    let cursor = '0';
    // Set inside a chunk's transaction: the read of the next one.
    const next: { ahead: Promise<ReadAhead | Error> | null } = { ahead: null };
    let previous = new Set<string>();
    for (;;) {
      const got: ReadAhead | Error | null = next.ahead ? await next.ahead : null;
      next.ahead = null;
      if (got instanceof Error) this.deps.logger.warn('reading the next rollup chunk ahead failed; reading it in its transaction', { error: got.message });
      const read = got instanceof Error || got === null ? null : got;
      if (read && read.pending.length === 0) return;
      const reuse = read !== null && ![...read.byKey.keys()].some((k) => previous.has(k));
      const done = await db.transaction(async (t) => {
        await fence?.(t);
        let chunk: ReadAhead | null = reuse ? read : null;
        if (!chunk) {
          const pending = await usage.pendingObservationsAfter(cursor, size, t);
          if (pending.length === 0) return null;
          chunk = { pending, byKey: groupByKey(pending), fold: null };
        }
        const after = chunk.pending[chunk.pending.length - 1]!.id;
        // Caught here, so a failure of this chunk leaves no rejected promise behind.
        next.ahead = this.readAhead(after, size).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        const observations = await this.rollupSessions([...chunk.byKey.keys()], chunk.byKey, t, chunk.fold ?? undefined);
        return { after, keys: new Set(chunk.byKey.keys()), sessions: chunk.byKey.size, observations };
      }).catch(async (err: unknown) => {
        if (next.ahead) await next.ahead;
        throw err;
      });
      if (!done) return;
      cursor = done.after;
      previous = done.keys;
      stats.sessions += done.sessions;
      stats.observations += done.observations;
      stats.chunks++;
    }
  }

  private async readAhead(after: string, size: number): Promise<ReadAhead> {
    const pending = await this.deps.usage.pendingObservationsAfter(after, size);
    const byKey = groupByKey(pending);
    if (pending.length === 0) return { pending, byKey, fold: null };
    const keys = [...byKey.keys()];
    return { pending, byKey, fold: this.fold(keys, byKey, await this.deps.usage.loadSessions(keys), true) };
  }

  /** Recomputes every session from all its stored observations (the proof that the increments add up). */
  async rebuildAll(options: RollupOptions = {}): Promise<RollupStats> {
    const stats = await this.rollupPending(options);
    const size = options.chunkSessions ?? 500;
    let after = '';
    for (;;) {
      const keys = await this.deps.usage.sessionKeysAfter(after, size);
      if (keys.length === 0) break;
      after = keys[keys.length - 1]!;
      stats.observations += await this.deps.db.transaction(async (t) => {
        await options.fence?.(t);
        return this.recomputeSessions(keys, t);
      });
      stats.sessions += keys.length;
      stats.chunks++;
    }
    return stats;
  }

  /**
   * The usual case reads only the pending observations: when they all sort at or after the
   * session's latest observation L, the intervals before L are unchanged and the new ones are
   * sessionIntervals(pending, anchor = L) (counters.ts rule 5), so their hours are ADDED to the
   * session's. A session with a late observation (sorting before L) is recomputed whole.
   * Returns how many observations were read.
   */
  private async rollupSessions(keys: readonly string[], pending: ReadonlyMap<string, StoredObservation[]>, t: Transaction, folded?: Fold): Promise<number> {
    const { usage } = this.deps;
    const { rows, added, late, read, prepared, preparedHours } = folded ?? this.fold(keys, pending, await usage.loadSessions(keys, t));
    if (rows.length > 0) {
      const ids = await usage.saveSessions(rows, this.deps.clock.now(), t, prepared);
      const byId = new Map([...added].map(([key, hours]) => [ids.get(key)!, hours]));
      await usage.addSessionHours(1, byId, t, preparedHours);
      const range = hourRange([...added.values()], null);
      // A session's time grew even where it added no bytes (a repeat), and its time decides
      // which polled sessions it duplicates: rewrite from its latest observations too.
      const widened = widen(range, rows);
      if (widened) await this.recomputeHourly(uniq(rows.map((r) => r.login)), widened.minMs, widened.maxMs, t, false);
      await usage.markRolledUp(rows.flatMap((r) => (pending.get(r.sessionKey) ?? []).map((o) => o.id)), t);
    }
    if (late.length > 0) await this.recomputeSessions(late, t);
    return read;
  }

  /**
   * The sessions' new rows and added hours from their pending observations (no I/O); `late`
   * are the sessions to recompute whole. With `prepare`, the statements that write the known
   * sessions' rows are built here too (a chunk read ahead builds them while the one before writes).
   */
  private fold(keys: readonly string[], pending: ReadonlyMap<string, StoredObservation[]>, sessions: ReadonlyMap<string, SessionRow>, prepare = false): Fold {
    const rows: SessionRow[] = [];
    const added = new Map<string, Map<number, HourUsage>>();
    const late: string[] = [];
    let read = 0;
    for (const key of keys) {
      const points = pending.get(key) ?? [];
      if (points.length === 0) continue;
      read += points.length;
      const existing = sessions.get(key) ?? null;
      const latest = existing ? latestOf(existing) : null;
      const sessionStartMs = existing?.sessionStartMs ?? points.find((p) => p.sessionStartMs !== null)?.sessionStartMs ?? null;
      const step = incrementalStep(latest, points, sessionStartMs, existing?.ended ?? false);
      // A session id reused under another login moves usage between logins: recompute both.
      const loginChanged = existing !== null && points.some((p) => p.login !== existing.login);
      if (step.kind === 'recompute' || loginChanged) {
        late.push(key);
        continue;
      }
      const su = step.usage;
      rows.push(sessionRow(key, existing, points, su, existing?.ignoredLate ?? 0));
      added.set(key, su.hours);
    }
    if (!prepare || rows.length === 0) return { rows, added, late, read };
    const prepared = this.deps.usage.prepareSessions(rows, this.deps.clock.now());
    // The hours' statements need every session's id: known unless a session is new.
    const preparedHours = prepared.fresh.length === 0 ? this.deps.usage.prepareSessionHours(1, new Map(rows.map((r) => [r.id!, added.get(r.sessionKey)!]))) : undefined;
    return { rows, added, late, read, prepared, preparedHours };
  }

  /** Recomputes sessions' live hours from their anchor and all their stored observations. */
  private async recomputeSessions(keys: readonly string[], t: Transaction): Promise<number> {
    const { usage } = this.deps;
    const sessions = await usage.loadSessions(keys, t);
    const observations = await usage.loadObservations(keys, t);
    const byKey = groupByKey(observations);
    const rows: SessionRow[] = [];
    const hoursByKey = new Map<string, Map<number, HourUsage>>();
    const logins = new Set<string>();
    for (const key of keys) {
      const existing = sessions.get(key) ?? null;
      const points = byKey.get(key) ?? [];
      if (!existing && points.length === 0) continue;
      const sessionStartMs = existing?.sessionStartMs ?? points.find((p) => p.sessionStartMs !== null)?.sessionStartMs ?? null;
      const su = sessionUsage(points, existing?.anchor ?? null, sessionStartMs);
      if (su.ignoredLate > 0) this.deps.logger.warn('observations arrived after their session was pruned; not counted', { sessionKey: key, count: su.ignoredLate });
      const row = sessionRow(key, existing, points, su, su.ignoredLate);
      rows.push(row);
      hoursByKey.set(key, su.hours);
      logins.add(row.login);
      if (existing) logins.add(existing.login);
    }
    if (rows.length === 0) return observations.length;
    const ids = await usage.saveSessions(rows, this.deps.clock.now(), t);
    const old = await usage.sessionHourRange([...ids.values()], t);
    await usage.replaceSessionHours(1, new Map([...hoursByKey].map(([key, hours]) => [ids.get(key)!, hours])), t);
    const range = widen(hourRange([...hoursByKey.values()], old), rows);
    if (range) await this.recomputeHourly([...logins], range.minMs, range.maxMs, t);
    await usage.markRolledUp(observations.filter((o) => !o.rolledUp).map((o) => o.id), t);
    return observations.length;
  }

  /**
   * Rewrites usage_hourly for the logins from their sessions' buckets over [minMs, maxMs] (bucket
   * starts). Whether a polled session counts depends on every RADIUS session of its login it
   * overlaps (source-choice.ts), so where that can have changed the rewrite widens to the whole
   * time of every session touching the range: for a login whose touching sessions include both
   * sources, or for every login (`widenAll`) after a recomputation. Otherwise it cannot have
   * changed (only sessions with new observations changed their time, and only inside the range),
   * so the range is enough, which keeps the usual incremental round small.
   */
  async recomputeHourly(logins: readonly string[], minMs: number, maxMs: number, t: Transaction, widenAll = true): Promise<void> {
    const { usage } = this.deps;
    const touching = await usage.sessionTimes(logins, minMs, maxMs + BUCKET_MS - 1, t);
    const sources = new Map<string, Set<string>>();
    for (const s of touching) {
      const set = sources.get(s.login);
      if (set) set.add(s.source);
      else sources.set(s.login, new Set([s.source]));
    }
    const wide = new Set(widenAll ? logins : logins.filter((l) => (sources.get(l)?.size ?? 0) > 1));
    const narrow = logins.filter((l) => !wide.has(l));
    // Without widening only usage was added (the usual step), so writing over the rows is enough.
    if (narrow.length > 0) await this.rewriteHourly(narrow, minMs, maxMs + BUCKET_MS, touching.filter((s) => !wide.has(s.login)), t, !widenAll);
    if (wide.size > 0) {
      let lo = minMs;
      let hi = maxMs + BUCKET_MS;
      for (const s of touching) {
        if (!wide.has(s.login)) continue;
        lo = Math.min(lo, bucketStartOf(s.startMs));
        hi = Math.max(hi, bucketStartOf(s.endMs) + BUCKET_MS);
      }
      await this.rewriteHourly([...wide], lo, hi, await usage.sessionTimes([...wide], lo, hi - 1, t), t);
    }
  }

  /** Rewrites the logins' rows over [lo, hi) from `inRange`, the sessions touching it. */
  private async rewriteHourly(logins: readonly string[], lo: number, hi: number, inRange: SessionTime[], t: Transaction, onlyAdded = false): Promise<void> {
    const { usage, clock } = this.deps;
    // Whether a polled session counts needs every RADIUS session it overlaps, wherever it lies.
    let context = inRange;
    const polled = inRange.filter((s) => s.source === 'poll');
    if (polled.length > 0) {
      const clo = Math.min(...polled.map((s) => s.startMs));
      const chi = Math.max(...polled.map((s) => s.endMs));
      if (clo < lo || chi >= hi) {
        const known = new Set(inRange.map((s) => s.id));
        const more = await usage.sessionTimes([...new Set(polled.map((s) => s.login))], clo, chi, t);
        context = [...inRange, ...more.filter((s) => !known.has(s.id))];
      }
    }
    const buckets = await usage.sessionBuckets(inRange.map((s) => s.id), lo, hi, t);
    const owner = await this.deps.assignment.resolver(logins, t);
    const rows = hourlyRows(buckets, context, owner);
    if (onlyAdded) await usage.upsertHourly(rows, clock.now(), t);
    else await usage.replaceHourly(logins, lo, hi - 1, rows, clock.now(), t);
  }

  /**
   * The catch-up: re-decides the rows of logins that have unassigned usage and some service (a
   * service created without the adoption call). It walks them in login order from where the last
   * run stopped, `limit` per run, so every such login gets its turn.
   */
  async assignPending(options: { limit?: number; fence?: (t: Transaction) => Promise<void> } = {}): Promise<number> {
    const limit = options.limit ?? 1000;
    const logins = await this.deps.assignment.candidates(this.assignCursor, limit);
    this.assignCursor = logins.length < limit ? '' : logins[logins.length - 1]!;
    let assigned = 0;
    for (let i = 0; i < logins.length; i += 100) {
      assigned += await this.deps.db.transaction(async (t) => {
        await options.fence?.(t);
        return this.deps.assignment.reassign(logins.slice(i, i + 100), t);
      });
    }
    return assigned;
  }
}

function groupByKey(observations: readonly StoredObservation[]): Map<string, StoredObservation[]> {
  const byKey = new Map<string, StoredObservation[]>();
  for (const o of observations) {
    const list = byKey.get(o.sessionKey);
    if (list) list.push(o);
    else byKey.set(o.sessionKey, [o]);
  }
  return byKey;
}

function latestOf(s: SessionRow): CounterPoint {
  return { atMs: s.lastObservedMs, download: s.lastDownload, upload: s.lastUpload };
}

/** The bucket range extended to the sessions' latest observations. */
function widen(range: { minMs: number; maxMs: number } | null, rows: readonly SessionRow[]): { minMs: number; maxMs: number } | null {
  let out = range;
  for (const r of rows) {
    const b = bucketStartOf(r.lastObservedMs);
    out = out ? { minMs: Math.min(out.minMs, b), maxMs: Math.max(out.maxMs, b) } : { minMs: b, maxMs: b };
  }
  return out;
}

function uniq(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function hourRange(maps: ReadonlyArray<ReadonlyMap<number, unknown>>, start: { minMs: number; maxMs: number } | null): { minMs: number; maxMs: number } | null {
  let minMs = start?.minMs ?? Infinity;
  let maxMs = start?.maxMs ?? -Infinity;
  for (const m of maps) {
    for (const h of m.keys()) {
      if (h < minMs) minMs = h;
      if (h > maxMs) maxMs = h;
    }
  }
  return minMs <= maxMs ? { minMs, maxMs } : null;
}

/** The session's row after folding in `points` (its latest observation, first seen, identity). */
function sessionRow(key: string, existing: SessionRow | null, points: readonly StoredObservation[], su: SessionUsage, ignoredLate: number): SessionRow {
  const latest = su.latest as StoredObservation | null;
  const base = latest ?? existing ?? points[0]!;
  const sessionStartMs = existing?.sessionStartMs ?? points.find((p) => p.sessionStartMs !== null)?.sessionStartMs ?? null;
  return {
    id: existing?.id ?? null,
    sessionKey: key,
    agentId: base.agentId,
    source: base.source,
    sourceName: base.sourceName,
    sessionId: base.sessionId,
    login: base.login,
    sessionStartMs,
    firstObservedMs: Math.min(existing?.firstObservedMs ?? Infinity, su.earliestMs ?? Infinity),
    lastObservedMs: latest ? latest.atMs : existing ? existing.lastObservedMs : points[0]!.atMs,
    lastDownload: latest ? latest.download : existing ? existing.lastDownload : points[0]!.download,
    lastUpload: latest ? latest.upload : existing ? existing.lastUpload : points[0]!.upload,
    ended: latest ? latest.ended : existing ? existing.ended : points[0]!.ended,
    framedIp: latest ? latest.framedIp : existing ? existing.framedIp : points[0]!.framedIp,
    anchor: existing?.anchor ?? null,
    ignoredLate,
  };
}
