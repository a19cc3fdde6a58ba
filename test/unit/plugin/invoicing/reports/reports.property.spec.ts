import { expect } from 'chai';
import fc from 'fast-check';
import { revenueByKind, revenueByMonth } from '../../../../../plugin/invoicing/reports/aggregate.js';
import { barChartSvg } from '../../../../../plugin/invoicing/reports/chart.js';

const minor = fc.bigInt({ min: 0n, max: 2n ** 62n });

describe('reports (properties)', () => {
  it('revenue per month adds up to what was invoiced minus what was credited, per currency', () => {
    const row = fc.record({ month: fc.constantFrom('2026-01', '2026-02'), currency: fc.constantFrom('EUR', 'JPY', 'KWD'), type: fc.constantFrom('invoice' as const, 'credit_note' as const), documents: fc.nat(5), netMinor: minor, taxMinor: minor, totalMinor: minor });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        for (const c of ['EUR', 'JPY', 'KWD']) {
          const mine = rows.filter((r) => r.currency === c);
          const expected = mine.reduce((s, r) => s + (r.type === 'credit_note' ? -r.totalMinor : r.totalMinor), 0n);
          const got = revenueByMonth(rows).filter((m) => m.currency === c).reduce((s, m) => s + m.totalMinor, 0n);
          expect(got).to.equal(expected);
        }
      }),
    );
  });

  it('kind groups add up to the total, and credits are the credit notes\' lines with their stored sign reversed', () => {
    const row = fc.record({ currency: fc.constant('EUR'), type: fc.constantFrom('invoice' as const, 'credit_note' as const), kind: fc.constantFrom('usage', 'recurring_fee', 'one_off', 'top_up', 'discount', 'whatever'), amountMinor: fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }) });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 30 }), (rows) => {
        const [eur] = revenueByKind(rows);
        expect(eur!.groups.reduce((s, g) => s + g.amountMinor, 0n)).to.equal(eur!.totalMinor);
        const credited = rows.filter((r) => r.type === 'credit_note').reduce((sum, r) => sum + r.amountMinor, 0n);
        expect(eur!.groups.find((g) => g.key === 'credits')!.amountMinor).to.equal(-credited);
        const discounts = rows.filter((r) => r.type === 'invoice' && r.kind === 'discount').reduce((sum, r) => sum + r.amountMinor, 0n);
        expect(eur!.groups.find((g) => g.key === 'discounts')!.amountMinor).to.equal(discounts);
      }),
    );
  });

  it('bars stay inside the plot and keep the order of their values', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n }), { minLength: 1, maxLength: 40 }), (values) => {
        const svg = barChartSvg({ title: 't', bars: values.map((v, i) => ({ label: String(i), value: v })), format: String, height: 220 });
        const rects = [...svg.matchAll(/<rect [^>]*y="(-?\d+)" [^>]*height="(-?\d+)"/g)].map((m) => ({ y: Number(m[1]), h: Number(m[2]) }));
        expect(rects).to.have.length(values.length);
        for (const r of rects) {
          expect(r.h).to.be.within(0, 156);
          expect(r.y).to.be.at.least(28);
          expect(r.y + r.h).to.be.at.most(28 + 156);
        }
        const abs = values.map((v) => (v < 0n ? -v : v));
        for (let i = 0; i < values.length; i++) for (let j = 0; j < values.length; j++) if (abs[i]! > abs[j]!) expect(rects[i]!.h).to.be.at.least(rects[j]!.h);
      }),
    );
  });
});
