import { expect } from 'chai';
import fc from 'fast-check';
import { decimal, toMinor, ROUNDING_RULES } from '../../../../plugin/common/money.js';
import { cumulativeShare } from '../../../../plugin/rating/proration.js';
import { discountCurve, periodDiscount } from '../../../../plugin/rating/discounts.js';
import { rateScenario, type RatedDocument } from '../../../../plugin/rating/rate-scenario.js';
import { parseScenarioText } from '../../../../plugin/rating/scenario.js';

const HOUR = 3_600_000;
const BASE = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
const price = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`);
const discount = fc.record({
  appliesTo: fc.constantFrom<'recurring_fee' | 'usage' | 'all'>('recurring_fee', 'usage', 'all'),
  percent: fc.option(fc.integer({ min: 1, max: 100 }).map(String), { nil: undefined }),
  amount: price.filter((p) => /[1-9]/.test(p)),
  fromDay: fc.option(fc.integer({ min: 0, max: 90 }), { nil: null }),
  days: fc.option(fc.integer({ min: 1, max: 90 }), { nil: null }),
  periods: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
});

const world = fc.record({
  currency: fc.constantFrom('EUR', 'JPY', 'KWD'),
  timezone: fc.constantFrom('Europe/Berlin', 'Asia/Kolkata'),
  cycle: fc.constantFrom('calendar', 'anniversary'),
  rounding: fc.constantFrom(...ROUNDING_RULES),
  taxOn: fc.constantFrom('line', 'total'),
  taxInclusive: fc.boolean(),
  fee: price,
  itemPrice: price,
  startHour: fc.integer({ min: 0, max: 24 * 40 }),
  changes: fc.uniqueArray(fc.integer({ min: 1, max: 24 * 60 }), { maxLength: 2 }),
  endAfter: fc.option(fc.integer({ min: 24 * 61, max: 24 * 100 }), { nil: null }),
  usage: fc.array(fc.record({ hour: fc.integer({ min: 0, max: 24 * 130 }), download: fc.bigInt(0n, 10n ** 12n) }), { maxLength: 20 }),
  // Discounts that never overlap (the file refuses those): one of any kind, or one on the fee and one on usage.
  discounts: fc.oneof(
    discount.map((d): Array<typeof d> => [d]),
    fc.tuple(discount, discount).map(([a, b]): Array<typeof a> => [{ ...a, appliesTo: 'recurring_fee' as const }, { ...b, appliesTo: 'usage' as const }]),
  ),
});
type World = typeof world extends fc.Arbitrary<infer W> ? W : never;

function rate(w: World, withChanges = true): RatedDocument[] {
  const startMs = BASE + w.startHour * HOUR;
  const tariff = (code: string) => ({
    code, name: code, currency: w.currency, recurringFee: w.fee, taxInclusive: w.taxInclusive,
    usage: { direction: 'both', unit: 'GB', includedUnits: '10', charge: { model: 'per_unit', unitPrice: '0.5' } },
  });
  const changes = withChanges ? [...w.changes].sort((a, b) => a - b) : [];
  const text = JSON.stringify({
    currency: w.currency, timezone: w.timezone, cycle: w.cycle, rounding: w.rounding, bucketMinutes: '60',
    account: { tax: { name: 'VAT', percent: '19' }, taxOn: w.taxOn },
    tariffs: [tariff('A'), tariff('B')],
    service: {
      start: iso(startMs),
      ...(w.endAfter === null ? {} : { end: iso(startMs + w.endAfter * HOUR) }),
      tariffs: [{ tariff: 'A', from: iso(startMs) }, ...changes.map((h, i) => ({ tariff: i % 2 === 0 ? 'B' : 'A', from: iso(startMs + h * HOUR) }))],
    },
    items: [{ code: 'IP', description: 'Static IP', price: w.itemPrice, recurring: true }],
    usage: w.usage.map((r) => ({ hour: iso(BASE + r.hour * HOUR), download: String(r.download), upload: '0' })),
    discounts: w.discounts.map((d, i) => ({
      code: `D${i}`,
      appliesTo: d.appliesTo,
      ...(d.percent !== undefined || d.appliesTo === 'all' ? { percent: d.percent ?? '50' } : { amount: d.amount }),
      ...(d.fromDay === null ? {} : { from: iso(BASE + d.fromDay * 24 * HOUR) }),
      ...(d.fromDay === null || d.days === null ? {} : { until: iso(BASE + (d.fromDay + d.days) * 24 * HOUR) }),
      ...(d.periods === null ? {} : { periods: String(d.periods) }),
    })),
    invoices: { from: '2025-12-01', to: '2026-07-01' },
  });
  return rateScenario(parseScenarioText(text, 'prop.json')).documents;
}

describe('discounts (properties)', () => {
  it('totals still equal the sum of lines: net + tax = total, and in line mode every line adds up to them', () => {
    fc.assert(
      fc.property(world, (w) => {
        for (const d of rate(w)) {
          expect(d.totals.netMinor + d.totals.taxMinor).to.equal(d.totals.totalMinor);
          if (w.taxOn === 'line') {
            expect(sum(d.lineTaxes.map((t) => t.netMinor!))).to.equal(d.totals.netMinor);
            expect(sum(d.lineTaxes.map((t) => t.taxMinor!))).to.equal(d.totals.taxMinor);
            expect(sum(d.lineTaxes.map((t) => t.grossMinor!))).to.equal(d.totals.totalMinor);
            d.lines.forEach((l, i) => expect(l.taxInclusive ? d.lineTaxes[i]!.grossMinor : d.lineTaxes[i]!.netMinor).to.equal(l.amountMinor));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a discount never makes a line pair, an invoice or a credit note negative', () => {
    fc.assert(
      fc.property(world, (w) => {
        for (const d of rate(w)) {
          expect(d.totals.totalMinor >= 0n, `${d.type} total ${d.totals.totalMinor}`).to.equal(true);
          d.lines.forEach((l, i) => {
            if (l.reduces === undefined) return;
            const base = d.lines[i + l.reduces]!;
            const at = i + l.reduces;
            const pair = base.amountMinor + sum(d.lines.filter((x, j) => x.reduces !== undefined && j + x.reduces === at).map((x) => x.amountMinor));
            expect(pair >= 0n, `${base.description} ${pair}`).to.equal(true);
            expect(l.amountMinor <= 0n).to.equal(true);
          });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('prorated discount parts add up to the full-period discount: cutting the fee at tariff changes (same price) gives the same discounts in all', () => {
    const discounted = (docs: RatedDocument[]) =>
      sum(docs.flatMap((d) => d.lines.filter((l) => l.kind === 'discount' && (l.description.includes(' on A ') || l.description.includes(' on B '))).map((l) => (d.type === 'invoice' ? l.amountMinor : -l.amountMinor))));
    fc.assert(
      fc.property(world, (w) => {
        const ws = { ...w, discounts: w.discounts.slice(0, 1).map((d) => ({ ...d, appliesTo: 'recurring_fee' as const })) };
        expect(discounted(rate(ws, true))).to.equal(discounted(rate(ws, false)));
      }),
      { numRuns: 60 },
    );
  });

  it('the parts of any split of a period add up to the whole-period discount, each between 0 and the fee of its days', () => {
    fc.assert(
      fc.property(price, fc.integer({ min: 1, max: 100 }), fc.constantFrom(28, 29, 30, 31), fc.uniqueArray(fc.integer({ min: 1, max: 27 }), { maxLength: 5 }), fc.constantFrom(...ROUNDING_RULES), fc.constantFrom('EUR', 'JPY', 'KWD'), (fee, pct, days, cuts, rule, currency) => {
        const F = decimal(fee);
        const d = { kind: 'percent' as const, value: decimal(String(pct)) };
        const g = discountCurve(F, d, days, currency, rule);
        const points = [0, ...[...cuts].sort((a, b) => a - b), days];
        const parts = points.slice(1).map((b, i) => g[b]! - g[points[i]!]!);
        const full = toMinor(periodDiscount(F, d), currency, rule);
        expect(sum(parts)).to.equal(full > toMinor(F, currency, rule) ? toMinor(F, currency, rule) : full);
        points.slice(1).forEach((b, i) => {
          const a = points[i]!;
          const feePart = cumulativeShare(F, b, days, currency, rule) - cumulativeShare(F, a, days, currency, rule);
          expect(parts[i]! >= 0n && parts[i]! <= feePart).to.equal(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
