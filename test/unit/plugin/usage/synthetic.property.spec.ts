import { expect } from 'chai';
import fc from 'fast-check';
import type { CounterPoint } from '../../../../plugin/usage/counters.js';
import { HOUR_MS, type HourUsage } from '../../../../plugin/usage/hour-split.js';
import { incrementalStep, sessionUsage, type ObservedPoint } from '../../../../plugin/usage/session-usage.js';

/**
 * Counter rule 6 (counters.ts): a record the agent made up (a close on Accounting-On/Off, a
 * vanished polled session) repeating counters lower than the point before it adds nothing and is
 * never read as a reset. Property: a session with such synthetic closes added anywhere gives
 * the same hours as the session without them, however they arrive and are rolled up.
 */
const BASE = Date.UTC(2026, 2, 28, 18, 7, 13, 250);

const sessionArb = fc
  .array(
    fc.record({ gapMs: fc.integer({ min: 2, max: 2 * HOUR_MS }), down: fc.bigInt({ min: 0n, max: 1n << 36n }), up: fc.bigInt({ min: 0n, max: 1n << 30n }), reset: fc.boolean() }),
    { minLength: 2, maxLength: 14 },
  )
  .map((steps) => {
    const points: ObservedPoint[] = [];
    let t = BASE;
    let d = 0n;
    let u = 0n;
    steps.forEach((s, i) => {
      t += s.gapMs;
      if (s.reset && i > 0 && d > 0n) {
        d = s.down % d;
        u = 0n;
      } else {
        d += s.down;
        u += s.up;
      }
      points.push({ atMs: t, download: d, upload: u, ended: false, framedIp: null });
    });
    return points;
  });

/** Synthetic closes just after point j, repeating the counters of an earlier, lower point. */
const withSynthetic = sessionArb.chain((points) =>
  fc.tuple(
    fc.constant(points),
    fc.array(fc.tuple(fc.nat({ max: points.length - 1 }), fc.nat({ max: points.length - 1 })), { minLength: 1, maxLength: 4 }).map((picks) =>
      picks.flatMap(([a, b]) => {
        const j = Math.max(a, b);
        const i = Math.min(a, b);
        const p = points[j]!;
        const q = points[i]!;
        const next = points[j + 1];
        const lower = q.download < p.download || q.upload < p.upload;
        if (!lower || (next && next.atMs - p.atMs < 2)) return [];
        return [{ atMs: p.atMs + 1, download: q.download, upload: q.upload, synthetic: true, ended: true, framedIp: null } as ObservedPoint];
      }),
    ),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 40, maxLength: 40 }),
    fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 10 }),
  ),
);

const clean = (m: Map<number, HourUsage>) => [...m.entries()].filter(([, x]) => x.download !== 0n || x.upload !== 0n).sort((x, y) => x[0] - y[0]);

describe('usage counters: records the agent made up (synthetic)', () => {
  it('a synthetic close with counters lower than the point before it changes no hour and starts no new segment', () => {
    fc.assert(
      fc.property(withSynthetic, ([points, synthetic, keys]) => {
        const all = [...points, ...synthetic].map((p, i) => ({ p, k: keys[i % keys.length]! + i * 1e-9 })).sort((a, b) => a.k - b.k).map((x) => x.p);
        expect(clean(sessionUsage(all, null, null).hours)).to.deep.equal(clean(sessionUsage(points, null, null).hours));
      }),
      { numRuns: 300 },
    );
  });

  it('rolled up chunk by chunk, a session with synthetic closes ends equal to one computation without them', () => {
    fc.assert(
      fc.property(withSynthetic, ([points, synthetic, keys, sizes]) => {
        const arrival = [...points, ...synthetic].map((p, i) => ({ p, k: keys[i % keys.length]! + i * 1e-9 })).sort((a, b) => a.k - b.k).map((x) => x.p);
        let hours = new Map<number, HourUsage>();
        let latest: (CounterPoint & { ended?: boolean }) | null = null;
        const received: ObservedPoint[] = [];
        for (let i = 0, k = 0; i < arrival.length; ) {
          const chunk = arrival.slice(i, i + sizes[k++ % sizes.length]!);
          i += chunk.length;
          received.push(...chunk);
          const step = incrementalStep(latest, chunk, null, latest?.ended ?? false);
          if (step.kind === 'add') {
            for (const [h, x] of step.usage.hours) {
              const cur = hours.get(h) ?? { download: 0n, upload: 0n };
              hours.set(h, { download: cur.download + x.download, upload: cur.upload + x.upload });
            }
            latest = step.usage.latest ?? latest;
          } else {
            const whole = sessionUsage(received, null, null);
            hours = whole.hours;
            latest = whole.latest;
          }
        }
        expect(clean(hours)).to.deep.equal(clean(sessionUsage(points, null, null).hours));
      }),
      { numRuns: 300 },
    );
  });
});
