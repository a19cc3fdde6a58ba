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
 * The RADIUS sessions each NAS has open, with their last counters: what an Accounting-On/Off must
 * close. Fed only with records already durable in the spool, in spool order. Kept compact (no
 * optional context), since a large BRAS group has 100,000 sessions open.
 */
export class OpenSessions {
  private readonly byNas = new Map<string, Map<string, OpenSession>>();
  private count = 0;

  apply(o: SessionObservation): void {
    if (o.source !== 'radius') return;
    if (o.ended) {
      this.remove(o.sourceName, o.sessionId);
      return;
    }
    // An interim updates the entry in place: a replacement object per request would outlive the
    // young generation (it lives until the session's next interim) and be copied and promoted by
    // the garbage collector, for every request. Snapshots copy the entries instead (all()).
    const start = o.sessionStart === null ? null : Date.parse(o.sessionStart);
    const observedAt = Date.parse(o.observedAt);
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

  put(s: OpenSession): void {
    let nas = this.byNas.get(s.nas);
    if (!nas) this.byNas.set(s.nas, (nas = new Map()));
    if (!nas.has(s.sessionId)) this.count++;
    nas.set(s.sessionId, s);
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

  get size(): number {
    return this.count;
  }
}
