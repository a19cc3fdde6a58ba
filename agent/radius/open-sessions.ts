import type { SessionObservation } from '../../plugin/common/wire.js';

/** What is kept per open session: enough to close it with its last counters. */
export interface OpenSession {
  nas: string;
  sessionId: string;
  login: string;
  /** Epoch milliseconds (a number takes a third of the room of an ISO string). */
  sessionStart: number | null;
  observedAt: number;
  down: string;
  up: string;
}

/**
 * A session that has ended (a Stop, or a close Octet made up on Accounting-On/Off): its end time
 * as the NAS reported it, its final counters, and when the agent learned of it (for forgetting).
 */
export interface EndedSession {
  nas: string;
  sessionId: string;
  endedAt: number;
  down: string;
  up: string;
  /** Agent clock, epoch ms. */
  learnedAt: number;
}

export interface OpenSessionsOptions {
  /** The agent's clock in epoch ms; stamps when an end was learned. */
  now?: () => number;
}

/**
 * The RADIUS sessions each NAS has open, with their last counters: what an Accounting-On/Off must
 * close. Fed only with records already durable in the spool, in spool order. Kept compact (no
 * optional context), since a large BRAS group has 100,000 sessions open.
 *
 * It also remembers the sessions that ended, so that a late interim (a NAS retrying after the
 * Stop, or resending after an agent restart) never puts a session back: a re-opened session would
 * be closed again on the next Accounting-On, with old counters at a later time (issue 12, item 1).
 */
export class OpenSessions {
  private readonly byNas = new Map<string, Map<string, OpenSession>>();
  /** Keyed nas \0 sessionId, in the order the ends were learned (oldest first: pruning stops early). */
  private readonly ended = new Map<string, EndedSession>();
  private count = 0;
  private readonly now: () => number;

  constructor(options: OpenSessionsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  apply(o: SessionObservation): void {
    if (o.source !== 'radius') return;
    const observedAt = Date.parse(o.observedAt);
    if (o.ended) {
      this.remove(o.sourceName, o.sessionId);
      this.noteEnd(o, observedAt);
      return;
    }
    const key = endedKey(o.sourceName, o.sessionId);
    const end = this.ended.get(key);
    if (end) {
      // Only something observed after the end is a new session under the same id (a Start the
      // server let through); anything else is a late copy of the one that ended.
      if (observedAt <= end.endedAt) return;
      this.ended.delete(key);
    }
    // An interim updates the entry in place: a replacement object per request would outlive the
    // young generation (it lives until the session's next interim) and be copied and promoted by
    // the garbage collector, for every request. Snapshots copy the entries instead (all()).
    const start = o.sessionStart === null ? null : Date.parse(o.sessionStart);
    const prev = this.byNas.get(o.sourceName)?.get(o.sessionId);
    if (prev) {
      if (prev.login !== o.login) prev.login = o.login;
      prev.sessionStart = start;
      prev.observedAt = observedAt;
      prev.down = o.downloadOctets;
      prev.up = o.uploadOctets;
      return;
    }
    this.put({
      nas: o.sourceName,
      sessionId: o.sessionId,
      login: o.login,
      sessionStart: start,
      observedAt,
      down: o.downloadOctets,
      up: o.uploadOctets,
    });
  }

  private noteEnd(o: SessionObservation, observedAt: number): void {
    const key = endedKey(o.sourceName, o.sessionId);
    const prev = this.ended.get(key);
    // Re-inserted so that the map stays in learning order.
    if (prev) this.ended.delete(key);
    this.ended.set(key, {
      nas: o.sourceName,
      sessionId: o.sessionId,
      endedAt: prev ? Math.max(prev.endedAt, observedAt) : observedAt,
      down: prev ? maxDecimal(prev.down, o.downloadOctets) : o.downloadOctets,
      up: prev ? maxDecimal(prev.up, o.uploadOctets) : o.uploadOctets,
      learnedAt: this.now(),
    });
  }

  put(s: OpenSession): void {
    let nas = this.byNas.get(s.nas);
    if (!nas) this.byNas.set(s.nas, (nas = new Map()));
    if (!nas.has(s.sessionId)) this.count++;
    nas.set(s.sessionId, s);
  }

  /** Restores a remembered end (from a snapshot). */
  putEnded(e: EndedSession): void {
    this.ended.set(endedKey(e.nas, e.sessionId), e);
  }

  endedFor(nasName: string, sessionId: string): EndedSession | undefined {
    return this.ended.get(endedKey(nasName, sessionId));
  }

  /** Forgets ends learned before `before` (epoch ms). */
  pruneEnded(before: number): void {
    for (const [key, e] of this.ended) {
      if (e.learnedAt >= before) break;
      this.ended.delete(key);
    }
  }

  private remove(nasName: string, sessionId: string): void {
    if (this.byNas.get(nasName)?.delete(sessionId)) this.count--;
  }

  /** The last observation of each open session of a NAS (recordId left empty: the closer assigns one). */
  openFor(nasName: string): SessionObservation[] {
    return [...(this.byNas.get(nasName)?.values() ?? [])].map((s) => ({
      recordId: '',
      source: 'radius',
      sourceName: s.nas,
      login: s.login,
      sessionId: s.sessionId,
      sessionStart: s.sessionStart === null ? null : new Date(s.sessionStart).toISOString(),
      observedAt: new Date(s.observedAt).toISOString(),
      downloadOctets: s.down,
      uploadOctets: s.up,
      ended: false,
    }));
  }

  /** Copies of every entry, as of now: entries are updated in place, and a snapshot outlives this turn. */
  all(): OpenSession[] {
    const out: OpenSession[] = [];
    for (const nas of this.byNas.values()) {
      for (const s of nas.values()) {
        out.push({ nas: s.nas, sessionId: s.sessionId, login: s.login, sessionStart: s.sessionStart, observedAt: s.observedAt, down: s.down, up: s.up });
      }
    }
    return out;
  }

  /** The remembered ends, oldest first (entries are replaced, never changed in place). */
  allEnded(): EndedSession[] {
    return [...this.ended.values()];
  }

  get size(): number {
    return this.count;
  }

  get endedCount(): number {
    return this.ended.size;
  }
}

function endedKey(nasName: string, sessionId: string): string {
  return `${nasName}\0${sessionId}`;
}

/** The larger of two decimal counters (strings from the wire; possibly beyond 2^63). */
function maxDecimal(a: string, b: string): string {
  if (a.length !== b.length) return a.length > b.length ? a : b;
  return a >= b ? a : b;
}
