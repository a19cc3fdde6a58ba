import { expect } from 'chai';
import fc from 'fast-check';
import { utcBandCuts } from '../../../../plugin/rating/index.js';
import { daySegments, firstInSegment } from '../../../../plugin/usage/day-windows.js';

const QUARTER = 900_000;
const DAY = 86_400_000;
const minuteOf = (ms: number) => (((ms % DAY) + DAY) % DAY) / 60_000;
const inSegment = (m: number, [lo, hi]: readonly [number, number]) => (hi <= 1440 ? m >= lo && m < hi : m >= lo || m < hi - 1440);

/**
 * How a banded service's month is summed in the database (billing-port.ts usageBySegments): the
 * UTC day cut at every band edge into segments, each summed as one and dated at its first bucket
 * in the window. Properties: the segments cover every minute of the day exactly once; the date
 * given to a segment is the first bucket of the window in it, found by walking the buckets.
 */
describe('segments of the UTC day between band edges', () => {
  const cutsArb = fc.uniqueArray(fc.integer({ min: 0, max: 95 }).map((q) => q * 15), { maxLength: 6 });

  it('cover every minute of the day exactly once', () => {
    fc.assert(
      fc.property(cutsArb, (cuts) => {
        const segments = daySegments(cuts);
        for (let m = 0; m < 1440; m += 15) expect(segments.filter((g) => inSegment(m, g)).length, `minute ${m}`).to.equal(1);
      }),
    );
  });

  it('date each segment at the first bucket of the window that lies in it, or nowhere', () => {
    const windowArb = fc.tuple(fc.integer({ min: 0, max: 96 * 60 }), fc.integer({ min: 1, max: 96 * 3 }));
    fc.assert(
      fc.property(cutsArb, windowArb, (cuts, [a, n]) => {
        const from = Date.UTC(2026, 2, 1) + a * QUARTER;
        const to = from + n * QUARTER;
        for (const g of daySegments(cuts)) {
          let want: number | null = null;
          for (let t = from; t < to; t += QUARTER) {
            if (inSegment(minuteOf(t), g)) {
              want = t;
              break;
            }
          }
          expect(firstInSegment(from, to, g)).to.equal(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cuts a Berlin night band (00:00-07:00) at 23:00 and 06:00 UTC in winter, 22:00 and 05:00 in summer', () => {
    const night = [{ from: '00:00', to: '07:00' }];
    expect(utcBandCuts([night], 60)).to.deep.equal([6 * 60, 23 * 60]);
    expect(utcBandCuts([night], 120)).to.deep.equal([5 * 60, 22 * 60]);
    expect(utcBandCuts([night, [{ from: '18:00', to: '22:00' }]], 60)).to.deep.equal([6 * 60, 17 * 60, 21 * 60, 23 * 60]);
    expect(utcBandCuts([[{ from: '22:30', to: '24:00' }]], 330), 'Kolkata').to.deep.equal([17 * 60, 18 * 60 + 30]);
    expect(utcBandCuts([], 60)).to.deep.equal([0]);
  });
});
