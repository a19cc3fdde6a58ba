import { expect } from 'chai';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { UsageInterval } from '../../../../plugin/usage/counters.js';
import { addToHours } from '../../../../plugin/usage/hour-split.js';
import { groupByLocalDay, parsePeriod } from '../../../../plugin/usage/local-time.js';

/**
 * Property: in zones whose offset is not a whole hour (and across their DST changes), a local
 * day's and a local month's usage, as the stored buckets give it, equals the truth: the share of
 * each usage interval's bytes that falls between the local boundaries (cumulative floor, the
 * rounding rule of hour-split.ts), computed in closed form, not from buckets.
 */
const ZONES = ['Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Adelaide', 'Australia/Lord_Howe', 'Europe/Berlin'];
// Around the March/April and September/October DST changes of both hemispheres.
const STARTS = [Date.UTC(2026, 2, 25), Date.UTC(2026, 2, 31), Date.UTC(2026, 9, 1), Date.UTC(2026, 9, 20), Date.UTC(2026, 10, 28)];

const intervalsArb = fc
  .tuple(
    fc.constantFrom(...STARTS),
    fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 5 * 3_600_000 }), lenMs: fc.integer({ min: 0, max: 7 * 3_600_000 }), down: fc.bigInt({ min: 0n, max: 1n << 40n }) }), {
      minLength: 1,
      maxLength: 40,
    }),
  )
  .map(([base, steps]) => {
    let t = base;
    return steps.map((s): UsageInterval => {
      t += s.gapMs + 7_919;
      const iv = { fromMs: t, toMs: t + s.lenMs, download: s.down, upload: s.down / 3n, reset: false };
      t += s.lenMs;
      return iv;
    });
  });

function usedBefore(intervals: readonly UsageInterval[], t: number): bigint {
  let sum = 0n;
  for (const iv of intervals) {
    const len = iv.toMs - iv.fromMs;
    // A zero-length interval sits in the bucket of its instant: before t when it lies before t.
    if (len <= 0) sum += iv.toMs < t ? iv.download : 0n;
    else sum += (iv.download * BigInt(Math.max(0, Math.min(t, iv.toMs) - iv.fromMs))) / BigInt(len);
  }
  return sum;
}

describe('local days and months in half-hour and 45-minute zones', () => {
  it('a local day\'s total equals the truth, DST days included', () => {
    fc.assert(
      fc.property(intervalsArb, fc.constantFrom(...ZONES), (intervals, zone) => {
        const buckets = addToHours(new Map(), intervals);
        const rows = [...buckets].map(([hourMs, u]) => ({ hourMs, download: u.download, upload: u.upload }));
        const first = DateTime.fromMillis(intervals[0]!.fromMs, { zone }).startOf('day');
        const last = DateTime.fromMillis(intervals[intervals.length - 1]!.toMs, { zone }).startOf('day').plus({ days: 1 });
        const { fromMs, toMs } = parsePeriod(first.toISODate()!, last.toISODate()!, zone);
        for (const day of groupByLocalDay(rows, fromMs, toMs, zone)) {
          const start = DateTime.fromISO(day.date, { zone }).startOf('day');
          const truth = usedBefore(intervals, start.plus({ days: 1 }).toMillis()) - usedBefore(intervals, start.toMillis());
          expect(day.download, `${zone} ${day.date}`).to.equal(truth);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a local month\'s total, over the period the read port takes, equals the truth', () => {
    fc.assert(
      fc.property(intervalsArb, fc.constantFrom(...ZONES), (intervals, zone) => {
        const buckets = addToHours(new Map(), intervals);
        const month = DateTime.fromMillis(intervals[0]!.fromMs, { zone }).startOf('month');
        const { fromMs, toMs } = parsePeriod(month.toISODate()!, month.plus({ months: 1 }).toISODate()!, zone);
        let got = 0n;
        for (const [h, u] of buckets) if (h >= fromMs && h < toMs) got += u.download;
        expect(got).to.equal(usedBefore(intervals, month.plus({ months: 1 }).toMillis()) - usedBefore(intervals, month.toMillis()));
      }),
      { numRuns: 300 },
    );
  });
});
