import type { SessionObservation } from '../../plugin/common/wire.js';
import { emptyState, rowKey, type PollerState, type SessionKind, type TrackedSession } from './decide.js';

/**
 * Rebuilding the poller's state from its own records in the spool (pure).
 *
 * The poller appends a poll's records, then saves its state. A crash in between (or a state file
 * lost or moved aside) used to leave sessions the router still shows but the state does not know,
 * and the next poll gave them a new id: the session start in the id comes from the router's
 * whole-second uptime, so it can move by a second, and the plugin then counted the same bytes
 * under two ids. Replaying the records spooled after the saved state brings back the very ids
 * (and counters) the plugin already has, as the RADIUS session book does for its open sessions.
 */

const SESSION_ID = /^(ppp|hotspot|queue):(.+)@-?\d+(?:#\d+)?$/;

/** (kind, item id) from a polled session id as decidePoll makes them; null for anything else. */
export function parseSessionId(sessionId: string): { kind: SessionKind; itemId: string } | null {
  const m = SESSION_ID.exec(sessionId);
  return m ? { kind: m[1] as SessionKind, itemId: m[2]! } : null;
}

export interface JournalEntry {
  seq: number;
  record: SessionObservation;
}

/**
 * Applies, in spool order, the router's records after the state's sequence: the latest record of
 * a session is what the poller knew of it; a close forgets it.
 */
export function replayRecords(prev: PollerState | null, routerName: string, spoolId: string, entries: readonly JournalEntry[]): PollerState {
  const base = prev ?? emptyState();
  const sessions: Record<string, TrackedSession> = { ...base.sessions };
  let lastPollAt = base.lastPollAt;
  // Another spool (the spool directory was replaced): its sequence numbers start afresh.
  let seq = base.journal?.spoolId === spoolId ? base.journal.seq : 0;
  for (const { seq: s, record: r } of entries) {
    if (s <= seq) continue;
    seq = s;
    if (r.source !== 'poll' || r.sourceName !== routerName) continue;
    const id = parseSessionId(r.sessionId);
    if (!id) continue;
    const key = rowKey({ kind: id.kind, itemId: id.itemId, login: r.login });
    if (lastPollAt === null || Date.parse(r.observedAt) > Date.parse(lastPollAt)) lastPollAt = r.observedAt;
    if (r.ended) {
      if (sessions[key]?.sessionId === r.sessionId) delete sessions[key];
      continue;
    }
    sessions[key] = {
      sessionId: r.sessionId,
      kind: id.kind,
      itemId: id.itemId,
      login: r.login,
      sessionStart: r.sessionStart,
      uptimeSeconds: uptimeLowerBound(r),
      download: r.downloadOctets,
      upload: r.uploadOctets,
      lastSeenAt: r.observedAt,
      framedIp: r.framedIp,
      callerId: r.callerId,
      reportedAt: r.observedAt,
      seq: s,
    };
  }
  return { ...base, lastPollAt, sessions, journal: { spoolId, seq } };
}

/**
 * The session's uptime when the record was made, from its start, rounded down with slack: the
 * start came from a whole-second uptime, and a reading too high would make the next poll's
 * true uptime look like a reset.
 */
function uptimeLowerBound(r: SessionObservation): number | null {
  if (r.sessionStart === null) return null;
  return Math.max(0, Math.floor((Date.parse(r.observedAt) - Date.parse(r.sessionStart)) / 1000) - 2);
}

/**
 * The spool sequence after which the router's records must stay on disk: everything after the
 * saved state, and the latest record of every session still open, so that even a lost state file
 * can be rebuilt. Sessions are re-reported at least every `reportUnchangedEverySeconds`, so this
 * never lags far behind.
 */
export function holdSeq(state: PollerState, now?: Date, maxAgeMs?: number): number {
  let hold = state.journal?.seq ?? 0;
  // A router down for a day must not make the spool keep a day of everyone's records: sessions
  // not reported for longer than maxAgeMs stop holding it (then only the saved state has them).
  const oldest = now !== undefined && maxAgeMs !== undefined ? now.getTime() - maxAgeMs : -Infinity;
  for (const t of Object.values(state.sessions)) {
    if (t.seq === undefined || t.seq - 1 >= hold) continue;
    if (Date.parse(t.reportedAt ?? t.lastSeenAt) < oldest) continue;
    hold = t.seq - 1;
  }
  return Math.max(0, hold);
}
