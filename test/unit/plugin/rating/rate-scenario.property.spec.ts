import { expect } from 'chai';
import fc from 'fast-check';
import { toMinor, decimal, ROUNDING_RULES } from '../../../../plugin/common/money.js';
import { cycleFor, periodAt } from '../../../../plugin/rating/periods.js';
import { rateScenario } from '../../../../plugin/rating/rate-scenario.js';
import { ratingJson } from '../../../../plugin/rating/rating-view.js';
import { parseScenarioText } from '../../../../plugin/rating/scenario.js';

const HOUR = 3_600_000;
const BASE = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

const price = fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 999 })).map(([a, b]) => `${a}.${String(b).padStart(3, '0')}`);
const row = fc.record({ hour: fc.integer({ min: -24 * 10, max: 24 * 130 }), download: fc.bigInt(0n, 10n ** 12n), upload: fc.bigInt(0n, 10n ** 11n) });

const world = fc.record({
  currency: fc.constantFrom('EUR', 'JPY', 'KWD'),
  timezone: fc.constantFrom('Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York'),
  cycle: fc.constantFrom('calendar', 'anniversary'),
  rounding: fc.constantFrom(...ROUNDING_RULES),
  taxOn: fc.constantFrom('line', 'total'),
  taxInclusive: fc.boolean(),
  feeA: price,
  feeB: price,
  startHour: fc.integer({ min: 0, max: 24 * 40 }),
  changes: fc.uniqueArray(fc.integer({ min: 1, max: 24 * 60 }), { maxLength: 3 }),
  endAfter: fc.option(fc.integer({ min: 24 * 61, max: 24 * 100 }), { nil: null }),
  usage: fc.array(row, { maxLength: 40 }),
});
type World = typeof world extends fc.Arbitrary<infer W> ? W : never;

function scenarioJson(w: World, usage = w.usage, sameFee = false): string {
  const startMs = BASE + w.startHour * HOUR;
  const tariff = (code: string, fee: string) => ({
    code,
    name: code,
    currency: w.currency,
    recurringFee: fee,
    taxInclusive: w.taxInclusive,
    usage: {
      direction: 'both',
      unit: 'GB',
      includedUnits: '10',
      timeBands: [{ name: 'night', from: '00:00', to: '07:00', percent: '50' }],
      fairUse: { capUnits: '500', throttleRate: '1M/1M' },
      charge: { model: 'graduated', tiers: [{ from: '0', to: '100', unitPrice: '0.5', flatFee: '1' }, { from: '100', unitPrice: '0.25' }] } },
  });
  const changes = [...w.changes].sort((a, b) => a - b);
  return JSON.stringify({
    currency: w.currency,
    timezone: w.timezone,
    cycle: w.cycle,
    rounding: w.rounding,
    bucketMinutes: '15',
    account: { tax: { name: 'VAT', percent: '19' }, taxOn: w.taxOn },
    tariffs: [tariff('A', w.feeA), tariff('B', sameFee ? w.feeA : w.feeB)],
    service: {
      start: iso(startMs),
      ...(w.endAfter === null ? {} : { end: iso(startMs + w.endAfter * HOUR) }),
      tariffs: [{ tariff: 'A', from: iso(startMs) }, ...changes.map((h, i) => ({ tariff: i % 2 ? 'A' : 'B', from: iso(startMs + h * HOUR) }))],
    },
    usage: usage.map((r) => ({ hour: iso(BASE + r.hour * HOUR), download: r.download.toString(), upload: r.upload.toString() })),
    invoices: { from: '2025-12-01', to: '2026-07-01' },
  });
}

const rate = (text: string) => rateScenario(parseScenarioText(text, 'property.json'));

describe('rating, whatever the scenario (properties)', () => {
  it('every document total equals the sum of its lines and of its tax summary, to the minor unit, in bigint', () => {
    fc.assert(
      fc.property(world, (w) => {
        for (const d of rate(scenarioJson(w)).documents) {
          const { netMinor, taxMinor, totalMinor } = d.totals;
          for (const v of [netMinor, taxMinor, totalMinor, ...d.lines.map((l) => l.amountMinor)]) expect(typeof v).to.equal('bigint');
          expect(netMinor + taxMinor).to.equal(totalMinor);
          expect(sum(d.taxes.map((t) => t.grossMinor))).to.equal(totalMinor);
          if (w.taxOn === 'line') expect(sum(d.lineTaxes.map((t) => t.grossMinor!))).to.equal(totalMinor);
          else expect(sum(d.lines.map((l) => l.amountMinor))).to.equal(w.taxInclusive ? totalMinor : netMinor);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('never depends on the order of usage rows, nor on how an hour is split into rows', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 1000 }), (w, seed) => {
        const shuffled = [...w.usage].sort((a, b) => ((a.hour * 7919 + seed) % 101) - ((b.hour * 7919 + seed) % 101)).reverse();
        const split = shuffled.flatMap((r) => [{ ...r, download: r.download / 2n, upload: 0n }, { ...r, download: r.download - r.download / 2n }]);
        const a = JSON.stringify(ratingJson(rate(scenarioJson(w)), w.timezone));
        expect(JSON.stringify(ratingJson(rate(scenarioJson(w, shuffled)), w.timezone))).to.equal(a);
        expect(JSON.stringify(ratingJson(rate(scenarioJson(w, split)), w.timezone))).to.equal(a);
      }),
      { numRuns: 20 },
    );
  });

  it('bills every byte once: usage on the invoices plus the usage it reports unbilled is all the usage', () => {
    fc.assert(
      fc.property(world, (w) => {
        const r = rate(scenarioJson(w));
        const billed = sum(r.documents.flatMap((d) => d.usage.map((u) => u.downloadBytes + u.uploadBytes)));
        const { beforeStart, afterEnd, onEarlierInvoices, awaitingNextInvoice } = r.unbilled;
        expect(billed + beforeStart + afterEnd + onEarlierInvoices + awaitingNextInvoice).to.equal(sum(w.usage.map((u) => u.download + u.upload)));
      }),
      { numRuns: 20 },
    );
  });

  it('the prorated parts of a period, across tariff changes and their credits, add up to the full fee', () => {
    fc.assert(
      fc.property(world, (w) => {
        const r = rate(scenarioJson(w, [], true));
        const startMs = BASE + w.startHour * HOUR;
        const spec = cycleFor(w.cycle as 'calendar', w.timezone, startMs);
        const net = new Map<number, bigint>();
        for (const d of r.documents) {
          for (const l of d.lines.filter((x) => x.kind === 'recurring_fee')) {
            const p = periodAt(l.fromMs, spec).fromMs;
            net.set(p, (net.get(p) ?? 0n) + (d.type === 'invoice' ? l.amountMinor : -l.amountMinor));
          }
        }
        const endMs = w.endAfter === null ? Infinity : startMs + w.endAfter * HOUR;
        const full = toMinor(decimal(w.feeA), w.currency, w.rounding);
        let fullPeriods = 0;
        for (const [fromMs, amount] of net) {
          const p = periodAt(fromMs, spec);
          if (p.fromMs >= startMs && p.toMs <= endMs && p.toMs <= Date.parse('2026-07-01T00:00:00Z') - 86_400_000 * 2) {
            expect(amount).to.equal(full);
            fullPeriods++;
          }
        }
        expect(fullPeriods).to.be.greaterThan(0);
      }),
      { numRuns: 20 },
    );
  });
});
