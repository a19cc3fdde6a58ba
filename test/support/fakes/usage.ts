import type { Transaction } from 'sequelize';
import type { UsageAssignment } from '../../../plugin/usage/assignment.js';
import type { HourUsage } from '../../../plugin/usage/hour-split.js';
import type { HourlyRow, SessionBucket } from '../../../plugin/usage/hourly-rows.js';
import type { SessionTime } from '../../../plugin/usage/source-choice.js';
import type { SessionRow, StoredObservation, UsageRepository } from '../../../plugin/usage/usage.repository.js';
import { FakeDatabase } from './database.js';

type Methods =
  | 'pendingSessionKeys'
  | 'pendingObservations'
  | 'sessionKeysAfter'
  | 'prunableSessionKeys'
  | 'loadObservations'
  | 'loadSessions'
  | 'saveSessions'
  | 'sessionHourRange'
  | 'loadSessionHours'
  | 'replaceSessionHours'
  | 'addSessionHours'
  | 'sessionTimes'
  | 'sessionBuckets'
  | 'replaceHourly'
  | 'upsertHourly'
  | 'markRolledUp'
  | 'deleteObservations';

interface State {
  observations: StoredObservation[];
  sessions: Map<string, SessionRow & { id: string }>;
  /** `${sessionId}/${part}` -> bucket start -> usage. */
  hours: Map<string, Map<number, HourUsage>>;
  hourly: HourlyRow[];
  nextSessionId: number;
}

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/**
 * usage_observations, usage_sessions, usage_session_hours and usage_hourly in memory, answering
 * as the SQL of usage.repository.ts does (the same filters and the same upsert rules).
 */
export class FakeUsageRepository implements Pick<UsageRepository, Methods> {
  state: State = { observations: [], sessions: new Map(), hours: new Map(), hourly: [], nextSessionId: 1 };

  constructor(db: FakeDatabase) {
    db.register({ snapshot: () => structuredClone(this.state), restore: (s) => void (this.state = s as State) });
  }

  /** Test setup: observations as the ingest stored them (not rolled up yet unless said). */
  addObservations(observations: ReadonlyArray<Omit<StoredObservation, 'id' | 'rolledUp'> & { rolledUp?: boolean }>): void {
    for (const o of observations) this.state.observations.push({ ...o, id: String(this.state.observations.length + 1), rolledUp: o.rolledUp ?? false });
  }

  async pendingSessionKeys(limit: number): Promise<string[]> {
    return sortedUnique(this.state.observations.filter((o) => !o.rolledUp).map((o) => o.sessionKey)).slice(0, limit);
  }

  async pendingObservations(limit: number): Promise<StoredObservation[]> {
    return this.state.observations.filter((o) => !o.rolledUp).slice(0, limit).map((o) => ({ ...o }));
  }

  async sessionKeysAfter(after: string, limit: number): Promise<string[]> {
    return [...this.state.sessions.keys()].filter((k) => k > after).sort().slice(0, limit);
  }

  async prunableSessionKeys(cutoffMs: number, limit: number): Promise<string[]> {
    return sortedUnique(this.state.observations.filter((o) => o.atMs <= cutoffMs).map((o) => o.sessionKey)).slice(0, limit);
  }

  async loadObservations(keys: readonly string[], _t?: Transaction, onlyPending = false): Promise<StoredObservation[]> {
    return this.state.observations.filter((o) => keys.includes(o.sessionKey) && (!onlyPending || !o.rolledUp)).map((o) => ({ ...o }));
  }

  async loadSessions(keys: readonly string[]): Promise<Map<string, SessionRow>> {
    return new Map([...this.state.sessions].filter(([k]) => keys.includes(k)).map(([k, s]) => [k, { ...s }]));
  }

  async saveSessions(rows: readonly SessionRow[], _now: Date, _t: Transaction): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const r of rows) {
      const id = this.state.sessions.get(r.sessionKey)?.id ?? String(this.state.nextSessionId++);
      this.state.sessions.set(r.sessionKey, { ...r, id });
      ids.set(r.sessionKey, id);
    }
    return ids;
  }

  async sessionHourRange(sessionIds: readonly string[]): Promise<{ minMs: number; maxMs: number } | null> {
    const starts = sessionIds.flatMap((id) => [...(this.state.hours.get(`${id}/1`)?.keys() ?? [])]);
    return starts.length ? { minMs: Math.min(...starts), maxMs: Math.max(...starts) } : null;
  }

  async loadSessionHours(sessionId: string, part: 0 | 1): Promise<Map<number, HourUsage>> {
    return new Map(this.state.hours.get(`${sessionId}/${part}`) ?? []);
  }

  async replaceSessionHours(part: 0 | 1, bySession: ReadonlyMap<string, ReadonlyMap<number, HourUsage>>, _t: Transaction): Promise<void> {
    for (const [id, hours] of bySession) this.state.hours.set(`${id}/${part}`, new Map(hours));
  }

  async addSessionHours(part: 0 | 1, bySession: ReadonlyMap<string, ReadonlyMap<number, HourUsage>>, _t: Transaction): Promise<void> {
    for (const [id, hours] of bySession) {
      const cur = this.state.hours.get(`${id}/${part}`) ?? new Map<number, HourUsage>();
      for (const [h, u] of hours) {
        const was = cur.get(h) ?? { download: 0n, upload: 0n };
        cur.set(h, { download: was.download + u.download, upload: was.upload + u.upload });
      }
      this.state.hours.set(`${id}/${part}`, cur);
    }
  }

  async sessionTimes(logins: readonly string[], fromMs: number, toMs: number): Promise<SessionTime[]> {
    const out: SessionTime[] = [];
    for (const s of this.state.sessions.values()) {
      const startMs = s.sessionStartMs !== null && s.sessionStartMs <= s.firstObservedMs ? s.sessionStartMs : s.firstObservedMs;
      if (logins.includes(s.login) && startMs <= toMs && s.lastObservedMs >= fromMs) out.push({ id: s.id, login: s.login, source: s.source, startMs, endMs: s.lastObservedMs });
    }
    return out;
  }

  async sessionBuckets(sessionIds: readonly string[], fromMs: number, toMs: number): Promise<SessionBucket[]> {
    const out: SessionBucket[] = [];
    for (const id of sessionIds) {
      const sum = new Map<number, HourUsage>();
      for (const part of [0, 1]) {
        for (const [h, u] of this.state.hours.get(`${id}/${part}`) ?? []) {
          if (h < fromMs || h >= toMs) continue;
          const was = sum.get(h) ?? { download: 0n, upload: 0n };
          sum.set(h, { download: was.download + u.download, upload: was.upload + u.upload });
        }
      }
      for (const [bucketMs, u] of sum) out.push({ sessionId: id, bucketMs, download: u.download, upload: u.upload });
    }
    return out;
  }

  async replaceHourly(logins: readonly string[], fromMs: number, toMs: number, rows: readonly HourlyRow[], _now: Date, _t: Transaction): Promise<void> {
    this.state.hourly = this.state.hourly.filter((r) => !(logins.includes(r.login) && r.hourMs >= fromMs && r.hourMs <= toMs));
    this.state.hourly.push(...rows.map((r) => ({ ...r })));
  }

  async upsertHourly(rows: readonly HourlyRow[], _now: Date, _t: Transaction): Promise<void> {
    for (const r of rows) {
      this.state.hourly = this.state.hourly.filter((h) => !(h.login === r.login && h.hourMs === r.hourMs));
      this.state.hourly.push({ ...r });
    }
  }

  async markRolledUp(observationIds: readonly string[], _t: Transaction): Promise<void> {
    for (const o of this.state.observations) if (observationIds.includes(o.id)) o.rolledUp = true;
  }

  async deleteObservations(observationIds: readonly string[], _t: Transaction): Promise<void> {
    this.state.observations = this.state.observations.filter((o) => !observationIds.includes(o.id));
  }
}

/** Services by login, as the assignment sees them: `owners` maps a login to its service id. */
export class FakeUsageAssignment implements Pick<UsageAssignment, 'resolver' | 'candidates' | 'reassign'> {
  owners = new Map<string, number>();
  reassigned: string[][] = [];

  async resolver(_logins: readonly string[], _t: Transaction): Promise<(login: string, bucketMs: number) => number | null> {
    return (login) => this.owners.get(login) ?? null;
  }

  async candidates(after: string, limit: number): Promise<string[]> {
    return [...this.owners.keys()].filter((l) => l > after).sort().slice(0, limit);
  }

  async reassign(logins: readonly string[], _t: Transaction): Promise<number> {
    this.reassigned.push([...logins]);
    return logins.length;
  }
}
