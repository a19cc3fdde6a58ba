import { comparePoints, sessionIntervals, type CounterPoint } from './counters.js';
import { addToHours, type HourUsage } from './hour-split.js';

/**
 * A session's usage per hour from its stored observations (pure): the rollup and the pruning
 * both come through here, so they cannot disagree.
 */
export interface ObservedPoint extends CounterPoint {
  ended: boolean;
  framedIp: string | null;
}

export interface SessionUsage {
  hours: Map<number, HourUsage>;
  /** The latest observation after the anchor, in counter-rule order; null if none. */
  latest: ObservedPoint | null;
  earliestMs: number | null;
  ignoredLate: number;
}

export function sessionUsage(points: readonly ObservedPoint[], anchor: CounterPoint | null, sessionStartMs: number | null): SessionUsage {
  const { intervals, ignoredLate } = sessionIntervals({ points, anchor, sessionStartMs });
  const usable = anchor ? points.filter((p) => comparePoints(p, anchor) > 0) : points;
  let latest: ObservedPoint | null = null;
  let earliestMs: number | null = null;
  for (const p of usable) {
    if (latest === null || comparePoints(p, latest) > 0) latest = p;
    if (earliestMs === null || p.atMs < earliestMs) earliestMs = p.atMs;
  }
  return { hours: addToHours(new Map(), intervals), latest, earliestMs, ignoredLate };
}

/**
 * The rollup's usual step (pure): a session whose latest rolled-up observation is `latest`
 * receives `pending` observations. If none sorts before `latest`, the intervals up to `latest`
 * stand and the new ones are exactly sessionIntervals(pending, anchor = latest), so their hours
 * can be ADDED to the session's stored hours. Otherwise (a late observation) the session must be
 * recomputed from all its observations.
 */
export function incrementalStep(
  latest: CounterPoint | null,
  pending: readonly ObservedPoint[],
  sessionStartMs: number | null,
  latestEnded = false,
): { kind: 'add'; usage: SessionUsage } | { kind: 'recompute' } {
  if (latest && pending.some((p) => comparePoints(p, latest) < 0)) return { kind: 'recompute' };
  // A synthetic point may be passed over (counters.ts rule 6), so it cannot serve as the point
  // the next ones continue from: sessions with one pending, or whose latest point is a close
  // (synthetic points are closes), are recomputed whole. Both are rare.
  if (pending.some((p) => p.synthetic) || (latest && latestEnded)) return { kind: 'recompute' };
  return { kind: 'add', usage: sessionUsage(pending, latest, sessionStartMs) };
}
