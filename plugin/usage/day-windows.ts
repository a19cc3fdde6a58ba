/**
 * How the billing port cuts its reads (pure): a window as the whole UTC days the daily sums
 * (usage_daily) answer and the buckets around them; the UTC day as segments between time band
 * edges, each summed as one and dated at its first bucket in the window.
 */
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a UTC midnight: how usage_daily keys a day on both databases. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * [from, to) as the whole UTC days inside it from `completeFromMs` on (null if none) and the one
 * or two stretches of buckets around them (all of [from, to) when it holds no such day).
 */
export function dailyCut(fromMs: number, toMs: number, completeFromMs = Number.NEGATIVE_INFINITY): { days: { fromMs: number; toMs: number } | null; edges: Array<{ fromMs: number; toMs: number }> } {
  const a = Math.max(Math.ceil(fromMs / DAY_MS) * DAY_MS, Math.ceil(completeFromMs / DAY_MS) * DAY_MS);
  const b = Math.floor(toMs / DAY_MS) * DAY_MS;
  if (a >= b) return { days: null, edges: [{ fromMs, toMs }] };
  const edges = [];
  if (fromMs < a) edges.push({ fromMs, toMs: a });
  if (b < toMs) edges.push({ fromMs: b, toMs });
  return { days: { fromMs: a, toMs: b }, edges };
}

export const DAY_MINUTES = 1440;

/** Cuts of the UTC day (minutes) as segments [lo, hi), the last one's hi past 1440 (it wraps to the first cut). */
export function daySegments(cuts: readonly number[]): Array<readonly [number, number]> {
  const sorted = [...new Set(cuts.map((c) => ((c % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES))].sort((a, b) => a - b);
  if (sorted.length === 0) sorted.push(0);
  return sorted.map((c, i) => [c, i + 1 < sorted.length ? sorted[i + 1]! : sorted[0]! + DAY_MINUTES] as const);
}

/** The first instant of [from, to) whose UTC time of day lies in the segment (a bucket start when from is), or null if none does. */
export function firstInSegment(fromMs: number, toMs: number, [lo, hi]: readonly [number, number]): number | null {
  const day0 = Math.floor(fromMs / DAY_MS) * DAY_MS;
  for (let k = -1; k <= 1; k++) {
    const start = day0 + k * DAY_MS + lo * 60_000;
    const end = day0 + k * DAY_MS + hi * 60_000;
    const first = Math.max(start, fromMs);
    if (first < Math.min(end, toMs)) return first;
  }
  return null;
}
