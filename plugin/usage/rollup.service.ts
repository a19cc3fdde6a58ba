import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Database } from '../db/database.js';
import type { HourUsage } from './hour-split.js';
import { hourlyRows } from './hourly-rows.js';
import { localDateOf } from './local-time.js';
import { serviceForDate, type ServiceSpan } from './service-match.js';
import { incrementalStep, sessionUsage, type SessionUsage } from './session-usage.js';
import type { CounterPoint } from './counters.js';
import type { SessionRow, StoredObservation, UsageRepository } from './usage.repository.js';

export interface RollupStats {
  sessions: number;
  observations: number;
  chunks: number;
}

export interface RollupOptions {
  /** Sessions per transaction. */
  chunkSessions?: number;
  /** Called between chunks (the job renews its lease there); throwing stops the run. */
  between?: () => Promise<void>;
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
  constructor(private readonly deps: { db: Database; usage: UsageRepository; clock: Clock; logger: Logger; timezone: string }) {}

  async rollupPending(options: RollupOptions = {}): Promise<RollupStats> {
    const stats: RollupStats = { sessions: 0, observations: 0, chunks: 0 };
    const size = options.chunkSessions ?? 500;
    for (;;) {
      const keys = await this.deps.usage.pendingSessionKeys(size);
      if (keys.length === 0) break;
      const n = await this.deps.db.transaction((t) => this.rollupSessions(keys, t));
      stats.sessions += keys.length;
      stats.observations += n;
      stats.chunks++;
      await options.between?.();
    }
    return stats;
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
      stats.observations += await this.deps.db.transaction((t) => this.recomputeSessions(keys, t));
      stats.sessions += keys.length;
      stats.chunks++;
      await options.between?.();
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
  private async rollupSessions(keys: readonly string[], t: Transaction): Promise<number> {
    const { usage } = this.deps;
    const sessions = await usage.loadSessions(keys, t);
    const pending = groupByKey(await usage.loadObservations(keys, t, true));
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
      const step = incrementalStep(latest, points, sessionStartMs);
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
    if (rows.length > 0) {
      const ids = await usage.saveSessions(rows, this.deps.clock.now(), t);
      const byId = new Map([...added].map(([key, hours]) => [ids.get(key)!, hours]));
      await usage.addSessionHours(1, byId, t);
      const range = hourRange([...added.values()], null);
      if (range) await this.recomputeHourly(uniq(rows.map((r) => r.login)), range.minMs, range.maxMs, t);
      await usage.markRolledUp(rows.flatMap((r) => (pending.get(r.sessionKey) ?? []).map((o) => o.id)), t);
    }
    if (late.length > 0) await this.recomputeSessions(late, t);
    return read;
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
    const range = hourRange([...hoursByKey.values()], old);
    if (range) await this.recomputeHourly([...logins], range.minMs, range.maxMs, t);
    await usage.markRolledUp(observations.filter((o) => !o.rolledUp).map((o) => o.id), t);
    return observations.length;
  }

  /** Rewrites usage_hourly for the logins over the hour range [minMs, maxMs] from session hours. */
  async recomputeHourly(logins: readonly string[], minMs: number, maxMs: number, t: Transaction): Promise<void> {
    const { usage, clock, timezone } = { ...this.deps };
    const sums = await usage.loginHours(logins, minMs, maxMs, t);
    const services = await usage.servicesForLogins(logins, t);
    await usage.replaceHourly(logins, minMs, maxMs, hourlyRows(sums, services, timezone), clock.now(), t);
  }

  /** Gives unassigned hours to services created since (the rollup's own catch-up). */
  async assignPending(): Promise<number> {
    let assigned = 0;
    const logins = await this.deps.usage.assignableLogins(1000);
    for (const login of logins) {
      assigned += await this.deps.db.transaction(async (t) => {
        const spans = await this.deps.usage.servicesForLogins([login], t);
        return assignHoursOfLogin(this.deps.usage, login, spans, this.deps.timezone, t);
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

/** Assigns a login's unassigned hours to whichever of `spans` was live then; returns the count. */
export async function assignHoursOfLogin(usage: UsageRepository, login: string, spans: readonly ServiceSpan[], timezone: string, t?: Transaction): Promise<number> {
  const hours = await usage.unassignedHours(login, t);
  const byService = new Map<number, string[]>();
  for (const h of hours) {
    const s = serviceForDate(spans, localDateOf(h.hourMs, timezone));
    if (s) byService.set(s.id, [...(byService.get(s.id) ?? []), h.id]);
  }
  let n = 0;
  for (const [serviceId, ids] of byService) {
    await usage.assignHours(ids, serviceId, t);
    n += ids.length;
  }
  return n;
}
