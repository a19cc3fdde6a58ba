import { expect } from 'chai';
import fc from 'fast-check';
import { dailyCut } from '../../../../plugin/usage/day-windows.js';

const DAY = 86_400_000;
const QUARTER = 900_000;

/**
 * How the billing port splits a window for usage_daily: the whole UTC days inside [from, to)
 * read from the daily sums, the buckets around them from usage_hourly. Property: the parts are
 * disjoint, in order, and cover the window exactly; the days start and end at UTC midnights; no
 * edge holds a whole UTC day (else a day would be read bucket by bucket for nothing).
 */
describe('dailyCut: a window as whole UTC days and the buckets around them', () => {
  const windowArb = fc
    .tuple(fc.integer({ min: 0, max: 4 * 96 * 400 }), fc.integer({ min: 1, max: 96 * 70 }))
    .map(([a, n]) => [Date.UTC(2025, 0, 1) + a * QUARTER, Date.UTC(2025, 0, 1) + (a + n) * QUARTER] as const);

  it('covers the window exactly once, in order, with days on UTC midnights and no whole day in an edge', () => {
    fc.assert(
      fc.property(windowArb, ([from, to]) => {
        const { days, edges } = dailyCut(from, to);
        const parts = [...edges, ...(days ? [days] : [])].sort((x, y) => x.fromMs - y.fromMs);
        expect(parts[0]!.fromMs).to.equal(from);
        expect(parts.at(-1)!.toMs).to.equal(to);
        for (let i = 1; i < parts.length; i++) expect(parts[i]!.fromMs).to.equal(parts[i - 1]!.toMs);
        for (const p of parts) expect(p.toMs).to.be.above(p.fromMs);
        if (days) {
          expect(days.fromMs % DAY).to.equal(0);
          expect(days.toMs % DAY).to.equal(0);
        }
        for (const e of edges) expect(Math.floor(e.toMs / DAY) * DAY - Math.ceil(e.fromMs / DAY) * DAY).to.be.below(DAY);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes days from the daily sums only from the day they are whole (complete_from), the rest from buckets', () => {
    fc.assert(
      fc.property(windowArb, fc.integer({ min: -5, max: 500 }), ([from, to], k) => {
        const completeFrom = Date.UTC(2025, 0, 1) + k * DAY;
        const { days, edges } = dailyCut(from, to, completeFrom);
        const parts = [...edges, ...(days ? [days] : [])].sort((x, y) => x.fromMs - y.fromMs);
        expect(parts[0]!.fromMs).to.equal(from);
        expect(parts.at(-1)!.toMs).to.equal(to);
        for (let i = 1; i < parts.length; i++) expect(parts[i]!.fromMs).to.equal(parts[i - 1]!.toMs);
        if (days) expect(days.fromMs).to.be.at.least(completeFrom);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a Kolkata month as its 30 whole UTC days and the 5.5 and 18.5 hours around them', () => {
    const { days, edges } = dailyCut(Date.parse('2026-02-28T18:30:00Z'), Date.parse('2026-03-31T18:30:00Z'));
    expect(days).to.deep.equal({ fromMs: Date.parse('2026-03-01T00:00:00Z'), toMs: Date.parse('2026-03-31T00:00:00Z') });
    expect(edges.map((e) => (e.toMs - e.fromMs) / 3_600_000)).to.deep.equal([5.5, 18.5]);
  });

  it('reads a window inside one UTC day, or one that holds no whole day, from buckets alone', () => {
    expect(dailyCut(Date.parse('2026-03-10T01:00:00Z'), Date.parse('2026-03-10T23:00:00Z'))).to.deep.equal({ days: null, edges: [{ fromMs: Date.parse('2026-03-10T01:00:00Z'), toMs: Date.parse('2026-03-10T23:00:00Z') }] });
    expect(dailyCut(Date.parse('2026-03-10T12:00:00Z'), Date.parse('2026-03-11T12:00:00Z')).days).to.equal(null);
    expect(dailyCut(Date.parse('2026-03-10T00:00:00Z'), Date.parse('2026-03-11T00:00:00Z'))).to.deep.equal({ days: { fromMs: Date.parse('2026-03-10T00:00:00Z'), toMs: Date.parse('2026-03-11T00:00:00Z') }, edges: [] });
  });
});
