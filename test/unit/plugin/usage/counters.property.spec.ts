import { expect } from 'chai';
import fc from 'fast-check';
import { sessionIntervals, pruneSplit, type CounterPoint } from '../../../../plugin/usage/counters.js';
import { addToHours, HOUR_MS, type HourUsage } from '../../../../plugin/usage/hour-split.js';
import { incrementalStep, sessionUsage } from '../../../../plugin/usage/session-usage.js';

/**
 * Property: for random sessions (interims, repeats, arrival in any order, resets, counters past
 * 2^32, stops), the hourly usage summed over any period equals the truth, to the byte.
 *
 * The truth is built independently from how the session was GENERATED (which points are resets,
 * in which order they really happened), not by sorting and comparing counters, and period sums
 * come from a closed form (the share of each true interval's bytes before an instant), not from
 * walking hours.
 */
const BASE = Date.UTC(2026, 2, 28, 18, 7, 13, 250);

interface TruePoint extends CounterPoint {
  ended: boolean;
}
interface TrueInterval {
  fromMs: number;
  toMs: number;
  download: bigint;
  upload: bigint;
}
interface Generated {
  points: TruePoint[];
  truth: TrueInterval[];
  segmentFinals: Array<{ download: bigint; upload: bigint }>;
  sessionStartMs: number | null;
}

const bytes = (max: bigint) => fc.bigInt({ min: 0n, max });
const step = fc.record({
  gapMs: fc.integer({ min: 1, max: 3 * HOUR_MS }),
  down: bytes(1n << 36n),
  up: bytes(1n << 34n),
});
const segmentArb = fc.record({
  // Where the segment's first counters sit: reset segments restart below the previous value.
  resetFraction: fc.integer({ min: 0, max: 999 }),
  steps: fc.array(step, { minLength: 1, maxLength: 8 }),
  ended: fc.boolean(),
});

const sessionArb = fc
  .record({
    startOffset: bytes(1n << 40n), // first counters already past 2^32 (gigawords)
    startKnown: fc.boolean(),
    startLeadMs: fc.integer({ min: 0, max: 2 * HOUR_MS }),
    segments: fc.array(segmentArb, { minLength: 1, maxLength: 4 }),
  })
  .map((g): Generated => {
    const points: TruePoint[] = [];
    const truth: TrueInterval[] = [];
    const segmentFinals: Array<{ download: bigint; upload: bigint }> = [];
    let t = BASE;
    const sessionStartMs = g.startKnown ? BASE - g.startLeadMs : null;
    let prev: TruePoint | null = null;
    g.segments.forEach((seg, si) => {
      seg.steps.forEach((s, k) => {
        t += s.gapMs;
        let download: bigint;
        let upload: bigint;
        let reset = false;
        if (prev === null) {
          download = g.startOffset + s.down;
          upload = s.up;
        } else if (k === 0 && si > 0 && prev.download > 0n) {
          // A reset: the new counter is below the last one seen.
          download = (prev.download * BigInt(seg.resetFraction)) / 1000n;
          upload = s.up;
          reset = true;
        } else {
          download = prev.download + s.down;
          upload = prev.upload + s.up;
        }
        const cur: TruePoint = { atMs: t, download, upload, ended: seg.ended && k === seg.steps.length - 1 };
        if (prev === null) {
          const from = sessionStartMs ?? t;
          truth.push({ fromMs: from, toMs: t, download, upload });
        } else if (reset) {
          segmentFinals.push({ download: prev.download, upload: prev.upload });
          truth.push({ fromMs: prev.atMs, toMs: t, download, upload });
        } else {
          truth.push({ fromMs: prev.atMs, toMs: t, download: download - prev.download, upload: upload - prev.upload });
        }
        points.push(cur);
        prev = cur;
      });
    });
    segmentFinals.push({ download: prev!.download, upload: prev!.upload });
    return { points, truth, segmentFinals, sessionStartMs };
  });

/** Arrival: every true point, some repeated, in any order. */
const arrivalArb = (g: Generated) =>
  fc
    .tuple(
      fc.array(fc.nat({ max: g.points.length - 1 }), { maxLength: g.points.length }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2 * g.points.length, maxLength: 2 * g.points.length }),
    )
    .map(([repeats, keys]) => {
      const all = [...g.points, ...repeats.map((i) => ({ ...g.points[i]! }))];
      return all.map((p, i) => ({ p, k: keys[i] ?? 0 })).sort((a, b) => a.k - b.k).map((x) => ({ ...x.p, framedIp: null }));
    });

/** Bytes of the true intervals that fall before instant `t` (hour-aligned), by the stated rule. */
function usedBefore(truth: readonly TrueInterval[], t: number, key: 'download' | 'upload'): bigint {
  let sum = 0n;
  for (const iv of truth) {
    const len = iv.toMs - iv.fromMs;
    if (len <= 0) {
      if (iv.toMs < t) sum += iv[key];
      continue;
    }
    const inside = Math.max(0, Math.min(t, iv.toMs) - iv.fromMs);
    sum += (iv[key] * BigInt(inside)) / BigInt(len);
  }
  return sum;
}

function periodSum(hours: Map<number, HourUsage>, fromMs: number, toMs: number, key: 'download' | 'upload'): bigint {
  let sum = 0n;
  for (const [h, u] of hours) if (h >= fromMs && h < toMs) sum += u[key];
  return sum;
}

const withPeriod = sessionArb.chain((g) =>
  fc.tuple(fc.constant(g), arrivalArb(g), fc.integer({ min: -3, max: 40 }), fc.integer({ min: 0, max: 40 })),
);

describe('usage counters: property tests against an independent truth', () => {
  it('hourly usage summed over any period equals the truth to the byte', () => {
    fc.assert(
      fc.property(withPeriod, ([g, arrival, a, len]) => {
        const hours = sessionUsage(arrival, null, g.sessionStartMs).hours;
        const fromMs = Math.floor(BASE / HOUR_MS) * HOUR_MS + a * HOUR_MS;
        const toMs = fromMs + len * HOUR_MS;
        for (const key of ['download', 'upload'] as const) {
          expect(periodSum(hours, fromMs, toMs, key)).to.equal(usedBefore(g.truth, toMs, key) - usedBefore(g.truth, fromMs, key));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the whole session adds up to the sum of each segment\'s last counters', () => {
    fc.assert(
      fc.property(sessionArb.chain((g) => fc.tuple(fc.constant(g), arrivalArb(g))), ([g, arrival]) => {
        const hours = sessionUsage(arrival, null, g.sessionStartMs).hours;
        const all = periodSum(hours, -Infinity, Infinity, 'download');
        expect(all).to.equal(g.segmentFinals.reduce((s, f) => s + f.download, 0n));
        expect(periodSum(hours, -Infinity, Infinity, 'upload')).to.equal(g.segmentFinals.reduce((s, f) => s + f.upload, 0n));
      }),
      { numRuns: 400 },
    );
  });

  it('arrival order and repeats change nothing', () => {
    fc.assert(
      fc.property(sessionArb.chain((g) => fc.tuple(fc.constant(g), arrivalArb(g), arrivalArb(g))), ([g, one, other]) => {
        const a = sessionUsage(one, null, g.sessionStartMs).hours;
        const b = sessionUsage(other, null, g.sessionStartMs).hours;
        expect([...a.entries()].sort((x, y) => x[0] - y[0])).to.deep.equal([...b.entries()].sort((x, y) => x[0] - y[0]));
      }),
      { numRuns: 200 },
    );
  });

  it('pruning at any cutoff keeps every hour: frozen plus live equals the whole', () => {
    fc.assert(
      fc.property(sessionArb.chain((g) => fc.tuple(fc.constant(g), arrivalArb(g), fc.integer({ min: 0, max: 30 * HOUR_MS }))), ([g, arrival, cut]) => {
        const whole = sessionUsage(arrival, null, g.sessionStartMs).hours;
        const split = pruneSplit(arrival, BASE + cut);
        if (!split) return;
        const frozen = addToHours(new Map(), sessionIntervals({ points: split.pruned, anchor: null, sessionStartMs: g.sessionStartMs }).intervals);
        const live = sessionUsage(split.kept.map((p) => ({ ...p, ended: false, framedIp: null })), split.anchor, null).hours;
        for (const [h, u] of live) {
          const f = frozen.get(h) ?? { download: 0n, upload: 0n };
          frozen.set(h, { download: f.download + u.download, upload: f.upload + u.upload });
        }
        const clean = (m: Map<number, HourUsage>) => [...m.entries()].filter(([, u]) => u.download !== 0n || u.upload !== 0n).sort((x, y) => x[0] - y[0]);
        expect(clean(frozen)).to.deep.equal(clean(whole));
      }),
      { numRuns: 300 },
    );
  });
});

describe('usage counters: the incremental rollup step', () => {
  it('adding each arrival chunk\'s hours (or recomputing on a late one) ends equal to one computation over everything', () => {
    const chunked = sessionArb.chain((g) => fc.tuple(fc.constant(g), arrivalArb(g), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 30 })));
    fc.assert(
      fc.property(chunked, ([g, arrival, sizes]) => {
        let hours = new Map<number, HourUsage>();
        let latest: CounterPoint | null = null;
        const received: typeof arrival = [];
        let i = 0;
        let k = 0;
        while (i < arrival.length) {
          const chunk = arrival.slice(i, i + sizes[k++ % sizes.length]!);
          i += chunk.length;
          received.push(...chunk);
          const step = incrementalStep(latest, chunk, g.sessionStartMs);
          if (step.kind === 'add') {
            for (const [h, u] of step.usage.hours) {
              const cur = hours.get(h) ?? { download: 0n, upload: 0n };
              hours.set(h, { download: cur.download + u.download, upload: cur.upload + u.upload });
            }
            latest = step.usage.latest ?? latest;
          } else {
            const whole = sessionUsage(received, null, g.sessionStartMs);
            hours = whole.hours;
            latest = whole.latest;
          }
        }
        const clean = (m: Map<number, HourUsage>) => [...m.entries()].filter(([, u]) => u.download !== 0n || u.upload !== 0n).sort((x, y) => x[0] - y[0]);
        expect(clean(hours)).to.deep.equal(clean(sessionUsage(arrival, null, g.sessionStartMs).hours));
      }),
      { numRuns: 300 },
    );
  });
});
