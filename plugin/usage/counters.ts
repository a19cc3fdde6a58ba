/**
 * Counter rules (pure): turns the observations of ONE session into usage intervals.
 *
 * The rule, which everything billed rests on:
 * 1. A session's observations are a SET: they are ordered by observedAt, ties broken by download
 *    then upload (ascending), so the result does not depend on arrival order, and repeats (same
 *    time, same counters) add nothing.
 * 2. The first observation counts from zero: its counters are usage between the session's start
 *    (sessionStart when known and not after it, else the observation itself) and its observedAt.
 * 3. Between two successive observations p -> c (in that order):
 *    - both counters >= p's: the delta c - p is usage over [p.observedAt, c.observedAt];
 *    - either counter lower: a reset (reconnect under the same id, router reboot) that started a
 *      new segment; c's counters count from zero, as usage over [p.observedAt, c.observedAt].
 *    Counters never produce a negative delta.
 * 4. A LATE observation (arriving after others with a later observedAt) is placed by its
 *    observedAt, so it refines where usage falls in time but is not a reset, even though its
 *    counters are lower than those already seen: only a counter that goes down at a LATER
 *    observedAt is a reset.
 * 5. After raw observations were pruned, the session keeps an anchor (the last pruned
 *    observation). Observations that sort at or before the anchor (rule 1 order) are too late to
 *    place (their neighbours are gone) and are ignored (counted in `ignoredLate`); the others
 *    continue from the anchor exactly as they would have from the pruned observation, so pruning
 *    does not change any total (frozen intervals + live intervals = the intervals of rule 3).
 *    The same cut is what makes the rollup incremental: the intervals after any observation P
 *    are sessionIntervals(points after P, anchor = P), whatever came before P.
 *
 * 6. A SYNTHETIC observation (the agent made it up: the close of a NAS's open sessions on
 *    Accounting-On/Off, the close of a polled session that vanished) is never a reset or a new
 *    segment: it can only confirm counters already seen. If either of its counters is lower than
 *    the previous point's, it adds nothing and is passed over (the next observation continues
 *    from the previous point, as if it were not there); otherwise it counts like any other.
 *    Its flag is stored with it, so a rebuild applies the same rule.
 *
 * `ended` (a RADIUS Stop, a vanished session) needs no rule: its counters are final, and a later
 * observation under the same id with lower counters is a reset by rule 3.
 */
export interface CounterPoint {
  atMs: number;
  download: bigint;
  upload: bigint;
  /** Rule 6; absent means false. */
  synthetic?: boolean;
}

export interface UsageInterval {
  fromMs: number;
  toMs: number;
  download: bigint;
  upload: bigint;
  reset: boolean;
}

export interface SessionIntervals {
  intervals: UsageInterval[];
  /**
   * The point the next observation continues from: the latest in the order of rule 1 that was
   * not passed over by rule 6 (the anchor when nothing came after it).
   */
  last: CounterPoint | null;
  ignoredLate: number;
}

export function comparePoints(a: CounterPoint, b: CounterPoint): number {
  if (a.atMs !== b.atMs) return a.atMs - b.atMs;
  if (a.download !== b.download) return a.download < b.download ? -1 : 1;
  if (a.upload !== b.upload) return a.upload < b.upload ? -1 : 1;
  return 0;
}

export function sessionIntervals(input: {
  points: readonly CounterPoint[];
  anchor: CounterPoint | null;
  sessionStartMs: number | null;
}): SessionIntervals {
  const { anchor } = input;
  const usable = anchor ? input.points.filter((p) => comparePoints(p, anchor) > 0) : [...input.points];
  const ignoredLate = input.points.length - usable.length;
  usable.sort(comparePoints);
  const intervals: UsageInterval[] = [];
  let prev: CounterPoint | null = anchor;
  for (const cur of usable) {
    if (prev === null) {
      const start = input.sessionStartMs !== null && input.sessionStartMs <= cur.atMs ? input.sessionStartMs : cur.atMs;
      pushInterval(intervals, start, cur.atMs, cur.download, cur.upload, false);
    } else if (cur.download >= prev.download && cur.upload >= prev.upload) {
      pushInterval(intervals, prev.atMs, cur.atMs, cur.download - prev.download, cur.upload - prev.upload, false);
    } else if (cur.synthetic) {
      continue;
    } else {
      pushInterval(intervals, prev.atMs, cur.atMs, cur.download, cur.upload, true);
    }
    prev = cur;
  }
  return { intervals, last: prev, ignoredLate };
}

function pushInterval(out: UsageInterval[], fromMs: number, toMs: number, download: bigint, upload: bigint, reset: boolean): void {
  if (download === 0n && upload === 0n) return;
  out.push({ fromMs, toMs, download, upload, reset });
}

/**
 * Where pruning cuts a session: the points at or before `cutoffMs` go, the rest stay. The new
 * anchor is the point the pruned ones leave the next observation to continue from (rule 6 may
 * pass over the last of them); `anchor` is the session's current one. Null when nothing is prunable.
 */
export function pruneSplit(
  points: readonly CounterPoint[],
  cutoffMs: number,
  anchor: CounterPoint | null = null,
): { pruned: CounterPoint[]; kept: CounterPoint[]; anchor: CounterPoint } | null {
  const sorted = [...points].sort(comparePoints);
  const pruned = sorted.filter((p) => p.atMs <= cutoffMs);
  if (pruned.length === 0) return null;
  const last = sessionIntervals({ points: pruned, anchor, sessionStartMs: null }).last ?? pruned[pruned.length - 1]!;
  return { pruned, kept: sorted.filter((p) => p.atMs > cutoffMs), anchor: last };
}
