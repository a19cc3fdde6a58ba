import type { ObservationSource } from '../common/wire.js';

/**
 * One session is counted from one source only (pure). A polled session and a RADIUS session of
 * the same login that overlap in time are the same traffic seen twice, so the polled one is not
 * counted (accounting is what NASes are built to report, and it survives router restarts). A
 * polled session that overlaps no RADIUS session of its login counts in full, even in an hour in
 * which RADIUS reports that login too (a subscriber moving from a polled router to a RADIUS NAS
 * mid-hour is billed for both halves).
 *
 * A session's time is [its start, its latest observation]: the start is the session start the
 * source reported when it is not after the first observation, else the first observation.
 * Two sessions overlap when each starts no later than the other's latest observation.
 */
export interface SessionTime {
  id: string;
  login: string;
  source: ObservationSource;
  startMs: number;
  endMs: number;
}

/** The ids of polled sessions that are not counted (they overlap a RADIUS session of their login). */
export function duplicatedPolledSessions(sessions: readonly SessionTime[]): Set<string> {
  const radiusByLogin = new Map<string, SessionTime[]>();
  for (const s of sessions) {
    if (s.source !== 'radius') continue;
    const list = radiusByLogin.get(s.login);
    if (list) list.push(s);
    else radiusByLogin.set(s.login, [s]);
  }
  const out = new Set<string>();
  for (const s of sessions) {
    if (s.source !== 'poll') continue;
    const radius = radiusByLogin.get(s.login);
    if (radius?.some((r) => r.startMs <= s.endMs && s.startMs <= r.endMs)) out.add(s.id);
  }
  return out;
}
