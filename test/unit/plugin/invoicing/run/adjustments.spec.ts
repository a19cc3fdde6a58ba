import { expect } from 'chai';
import fc from 'fast-check';
import type { Transaction } from 'sequelize';
import { Dec } from '../../../../../plugin/common/money.js';
import { rateAccount, type AccountIn, type RunRules } from '../../../../../plugin/invoicing/run/account-rating.js';
import { adjustmentLines, mergeExtra, type AdjustmentDeps, type PendingAdjustment } from '../../../../../plugin/invoicing/run/adjustments.js';
import { localMidnight, type Tariff, type UsageRow } from '../../../../../plugin/rating/index.js';
import { tariff, tariffArb } from './world.js';

const TZ = 'Europe/Berlin';
const RULES: RunRules = { timezone: TZ, cycle: 'calendar', rounding: 'half-up', taxMode: 'line' };
const GB = 10n ** 9n;
const at = (date: string) => localMidnight(date, TZ);
const FEBRUARY = { fromMs: at('2026-02-01'), toMs: at('2026-03-01') };
const TX = { id: 'the issuing transaction' } as unknown as Transaction;

/** 0-100 GB at 0.10, above 100 GB at 0.50 (graduated: each GB by the tier it falls in). */
const TIERED = tariff({ code: 'TIER', name: 'Tiered', recurringFee: '20.00', usage: { direction: 'both', unit: 'GB', charge: { model: 'graduated', tiers: [{ from: '0', to: '100', unitPrice: '0.10' }, { from: '100', unitPrice: '0.50' }] } } });
const ALLOWANCE = tariff({ code: 'ALLOW', name: 'Allowance', recurringFee: '30.00', usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '1.00' } } });
const FLAT = tariff({ code: 'FLAT', name: 'Flat', recurringFee: '40.00' });

function account(t: Tariff): AccountIn {
  return {
    accountId: 3,
    currency: 'EUR',
    tax: { kind: 'rate', name: 'VAT', percent: new Dec(19) },
    services: [{ id: 10, login: 'alice', startDate: '2026-01-01', endDate: null, tariffs: [{ code: t.code, fromMs: at('2026-01-01') }] }],
    catalogue: new Map([[t.code, { status: 'active', versions: [{ tariff: t, effectiveFromMs: 0 }] }]]),
    charges: [],
    topUps: [],
    usage: new Map(),
  };
}

/** Typed fakes: February was billed on the invoice of 1 March for `chargedMinor` with `discountMinor` off it; usage holds `gbNow` now. */
function deps(chargedMinor: bigint, gbNow: bigint, calls: string[] = [], discountMinor = 0n): AdjustmentDeps {
  const rows: UsageRow[] = [{ hourMs: Date.parse('2026-02-10T10:00:00Z'), download: gbNow * GB, upload: 0n }];
  return {
    invoices: {
      billedWindow: async (serviceId, fromMs, toMs, t) => {
        calls.push(`billedWindow ${serviceId} ${t === TX}`);
        return serviceId === 10 && fromMs === FEBRUARY.fromMs && toMs === FEBRUARY.toMs ? { periodKey: '2026-03-01', chargedMinor, discountMinor } : null;
      },
    },
    usage: {
      usageRows: async (ids, fromMs, toMs, t) => {
        calls.push(`usageRows ${ids.join(',')} ${t === TX}`);
        return new Map(ids.map((id) => [id, rows.filter((r) => r.hourMs >= fromMs && r.hourMs < toMs)]));
      },
    },
    tariffs: { topUpsFor: async () => [] },
  };
}

const pending = (id: string, gb: bigint): PendingAdjustment => ({ id, serviceId: 10, period: FEBRUARY, download: gb * GB, upload: 0n });
const brief = (xs: Array<{ serviceId: number | null; line: { description: string; amountMinor: bigint; kind: string; tariff: unknown } }>) => xs.map(({ serviceId, line }) => ({ serviceId, kind: line.kind, description: line.description, amountMinor: line.amountMinor, tariff: line.tariff }));

describe('late usage adjustments on the next invoice', () => {
  it('prices late bytes that cross into a higher graduated tier by that tier, on one dated line for the window', async () => {
    const calls: string[] = [];
    // 95 GB were billed (9.50); 6 + 4 GB arrive late: 100 x 0.10 + 5 x 0.50 = 12.50, so 3.00 more (not 10 x 0.10).
    const r = await adjustmentLines([pending('a1', 6n), pending('a2', 4n)], account(TIERED), RULES, deps(950n, 105n, calls), TX);
    expect(brief(r.invoiceLines)).to.deep.equal([{ serviceId: 10, kind: 'adjustment', description: 'alice: usage adjustment for 2026-02-01 – 2026-02-28 (10.00 GB reported late)', amountMinor: 300n, tariff: { code: 'TIER', version: 1 } }]);
    expect(r.invoiceLines[0]!.line).to.include({ fromMs: FEBRUARY.fromMs, toMs: FEBRUARY.toMs, unit: 'adjustment' });
    expect(r.creditLines).to.deep.equal([]);
    expect(r.ids).to.deep.equal(['a1', 'a2']);
    expect(r.usage).to.deep.equal([{ serviceId: 10, ...FEBRUARY, kind: 'adjustment', download: 10n * GB, upload: 0n }]);
    expect(calls).to.deep.equal(['billedWindow 10 true', 'usageRows 10 true']);
  });

  it('the rated amount the adjustment starts from is what the February window cost when it was billed', () => {
    const a = account(TIERED);
    const r = rateAccount({ ...a, usage: new Map([[10, [{ hourMs: Date.parse('2026-02-10T10:00:00Z'), download: 95n * GB, upload: 0n }]]]) }, at('2026-03-01'), RULES);
    expect(r.invoice!.document.lines.filter((l) => l.kind === 'usage').map((l) => l.amountMinor)).to.deep.equal([950n]);
  });

  it('goes on the next invoice with the tax computed again over all of its lines', async () => {
    const a = account(TIERED);
    const april = rateAccount(a, at('2026-04-01'), RULES);
    const r = await adjustmentLines([pending('a1', 10n)], a, RULES, deps(950n, 105n), TX);
    const merged = mergeExtra(april.invoice, r.invoiceLines, 'invoice', at('2026-04-01'), a, RULES);
    // April's fee 20.00 (tax 3.80), March's usage 0.00, the adjustment 3.00 (tax 0.57).
    expect(merged.document.lines.map((l) => [l.description, l.amountMinor])).to.deep.equal([
      ['alice: Usage above 0 GB included (graduated)', 0n],
      ['alice: Tiered (TIER v1)', 2000n],
      ['alice: usage adjustment for 2026-02-01 – 2026-02-28 (10.00 GB reported late)', 300n],
    ]);
    expect(merged.lineServices).to.deep.equal([10, 10, 10]);
    expect(merged.document.totals).to.deep.equal({ netMinor: 2300n, taxMinor: 437n, totalMinor: 2737n });
    expect(merged.document.lineTaxes.map((t) => t.taxMinor)).to.deep.equal([0n, 380n, 57n]);
  });

  it('credits usage that moved away to another service on a credit note line', async () => {
    const a = account(TIERED);
    // 105 GB were billed (12.50); 20 GB were moved away: 85 GB cost 8.50, so 4.00 comes back.
    const r = await adjustmentLines([{ ...pending('m1', 0n), download: -20n * GB }], a, RULES, deps(1250n, 85n), TX);
    expect(r.invoiceLines).to.deep.equal([]);
    expect(brief(r.creditLines)).to.deep.equal([{ serviceId: 10, kind: 'adjustment', description: 'alice: usage adjustment for 2026-02-01 – 2026-02-28 (20.00 GB moved away)', amountMinor: 400n, tariff: { code: 'TIER', version: 1 } }]);
    const credit = mergeExtra(null, r.creditLines, 'credit_note', at('2026-04-01'), a, RULES);
    expect(credit.document.type).to.equal('credit_note');
    expect(credit.document.period).to.include({ fromDate: '2026-04-01', toDate: '2026-05-01' });
    expect(credit.document.totals).to.deep.equal({ netMinor: 400n, taxMinor: 76n, totalMinor: 476n });
  });

  it('prints a change that costs nothing at 0: an allowance not used up, or a flat tariff', async () => {
    const inAllowance = await adjustmentLines([pending('z1', 5n)], account(ALLOWANCE), RULES, deps(0n, 35n), TX);
    expect(brief(inAllowance.invoiceLines)).to.deep.equal([{ serviceId: 10, kind: 'adjustment', description: 'alice: usage adjustment for 2026-02-01 – 2026-02-28 (5.00 GB reported late)', amountMinor: 0n, tariff: { code: 'ALLOW', version: 1 } }]);
    const flat = await adjustmentLines([pending('z2', 5n)], account(FLAT), RULES, deps(0n, 35n), TX);
    expect(brief(flat.invoiceLines)).to.deep.equal([{ serviceId: 10, kind: 'adjustment', description: 'alice: usage adjustment for 2026-02-01 – 2026-02-28 (5.00 GB reported late)', amountMinor: 0n, tariff: null }]);
    expect([inAllowance.creditLines, flat.creditLines]).to.deep.equal([[], []]);
    expect(mergeExtra(null, flat.invoiceLines, 'invoice', at('2026-04-01'), account(FLAT), RULES).document.totals).to.deep.equal({ netMinor: 0n, taxMinor: 0n, totalMinor: 0n });
  });

  it('leaves an adjustment for a service the account no longer lists pending: no line, and nothing marked as carried', async () => {
    const r = await adjustmentLines([{ ...pending('x1', 3n), serviceId: 99 }], account(TIERED), RULES, deps(0n, 0n), TX);
    expect(r).to.deep.equal({ invoiceLines: [], creditLines: [], usage: [], ids: [] });
  });

  it('whatever the tariff and however many late reports come, the window ends up charged what its usage costs now (property)', async () => {
    const gbRows = fc.array(fc.record({ day: fc.integer({ min: 0, max: 27 }), gb: fc.bigInt(0n, 80n) }), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(tariffArb('A', false), gbRows, fc.array(gbRows, { minLength: 1, maxLength: 3 }), async (t, first, late) => {
        const a = account(t);
        const toRows = (xs: Array<{ day: number; gb: bigint }>) => xs.map((x) => ({ hourMs: FEBRUARY.fromMs + x.day * 86_400_000 + 3_600_000, download: x.gb * GB, upload: x.gb * GB }));
        const costOf = (rows: UsageRow[]) => {
          const inv = rateAccount({ ...a, usage: new Map([[10, rows]]) }, at('2026-03-01'), RULES).invoice!;
          return inv.document.lines.filter((l) => l.kind === 'usage').reduce((s, l) => s + l.amountMinor, 0n);
        };
        let rows = toRows(first);
        let charged = costOf(rows);
        for (const batch of late) {
          const added = toRows(batch);
          rows = [...rows, ...added];
          const bytes = added.reduce((s, r) => s + r.download + r.upload, 0n);
          const fakes: AdjustmentDeps = {
            invoices: { billedWindow: async () => ({ periodKey: '2026-03-01', chargedMinor: charged, discountMinor: 0n }) },
            usage: { usageRows: async (ids) => new Map(ids.map((id) => [id, rows])) },
            tariffs: { topUpsFor: async () => [] },
          };
          const r = await adjustmentLines([{ id: 'x', serviceId: 10, period: FEBRUARY, download: bytes, upload: 0n }], a, RULES, fakes, TX);
          expect(r.invoiceLines.length + r.creditLines.length).to.equal(1);
          charged += r.invoiceLines.reduce((s, x) => s + x.line.amountMinor, 0n) - r.creditLines.reduce((s, x) => s + x.line.amountMinor, 0n);
          expect(charged).to.equal(costOf(rows));
        }
      }),
      { numRuns: 200 },
    );
  });
  describe('on a discounted service', () => {
    /** 10% off the usage of service 10 from January on (a percent of each usage line, rounded half-up). */
    const discounted = (t: Tariff, percent = 10): AccountIn => ({
      ...account(t),
      discounts: [{ serviceId: 10, code: 'LOYAL', description: 'Loyalty', appliesTo: 'usage', kind: 'percent', value: new Dec(percent), fromDate: '2026-01-01', untilDate: null, periods: null }],
    });

    it('gives late bytes the discount the window earns now, minus the discount already issued, as a line reducing the adjustment', async () => {
      // February billed 95 GB: 9.50, less 10% (0.95). Now 105 GB: 12.50, less 1.25. The adjustment is 3.00, its discount 0.30.
      const r = await adjustmentLines([pending('a1', 10n)], discounted(TIERED), RULES, deps(950n, 105n, [], 95n), TX);
      expect(brief(r.invoiceLines)).to.deep.equal([
        { serviceId: 10, kind: 'adjustment', description: 'alice: usage adjustment for 2026-02-01 – 2026-02-28 (10.00 GB reported late)', amountMinor: 300n, tariff: { code: 'TIER', version: 1 } },
        { serviceId: 10, kind: 'discount', description: 'alice: Discount LOYAL, Loyalty (10%) on usage adjustment for 2026-02-01 – 2026-02-28 (10.00 GB reported late)', amountMinor: -30n, tariff: { code: 'TIER', version: 1 } },
      ]);
      expect(r.invoiceLines[1]!.line).to.include({ reduces: -1, fromMs: FEBRUARY.fromMs, toMs: FEBRUARY.toMs, unit: 'discount' });
      expect(r.invoiceLines[1]!.line.preciseAmount.toFixed()).to.equal('-0.3');
      expect(r.invoiceLines[0]!.line.preciseAmount.toFixed()).to.equal('3');
      const merged = mergeExtra(null, r.invoiceLines, 'invoice', at('2026-04-01'), discounted(TIERED), RULES);
      // 2.70 net, 19% VAT on the pair: 0.51.
      expect(merged.document.totals).to.deep.equal({ netMinor: 270n, taxMinor: 51n, totalMinor: 321n });
    });

    it('takes back the discount no longer earned when usage moves away, so the credit is net of it', async () => {
      // Billed 105 GB: 12.50 less 1.25. 20 GB moved away: 85 GB cost 8.50 less 0.85. Credit 4.00, less 0.40 of discount no longer earned.
      const r = await adjustmentLines([{ ...pending('m1', 0n), download: -20n * GB }], discounted(TIERED), RULES, deps(1250n, 85n, [], 125n), TX);
      expect(r.invoiceLines).to.deep.equal([]);
      expect(brief(r.creditLines).map((l) => [l.kind, l.amountMinor])).to.deep.equal([
        ['adjustment', 400n],
        ['discount', -40n],
      ]);
      expect(r.creditLines[1]!.line.description).to.equal('alice: Discount LOYAL, Loyalty (10%) no longer earned on usage adjustment for 2026-02-01 – 2026-02-28 (20.00 GB moved away)');
      const credit = mergeExtra(null, r.creditLines, 'credit_note', at('2026-04-01'), discounted(TIERED), RULES);
      expect(credit.document.totals).to.deep.equal({ netMinor: 360n, taxMinor: 68n, totalMinor: 428n });
    });

    it('gives no discount line when the discount issued already covers the window as it is now', async () => {
      // Say 1.25 was issued for February already (an earlier adjustment carried its discount): nothing more to give.
      const r = await adjustmentLines([pending('a1', 10n)], discounted(TIERED), RULES, deps(950n, 105n, [], 125n), TX);
      expect(brief(r.invoiceLines).map((l) => l.kind)).to.deep.equal(['adjustment']);
    });

    it('however many late reports come, the window ends up charged its usage now less its discount now (property)', async () => {
      const gbRows = fc.array(fc.record({ day: fc.integer({ min: 0, max: 27 }), gb: fc.bigInt(0n, 80n) }), { maxLength: 4 });
      const signed = fc.array(fc.record({ day: fc.integer({ min: 0, max: 27 }), gb: fc.bigInt(-40n, 80n) }), { minLength: 1, maxLength: 3 });
      await fc.assert(
        fc.asyncProperty(tariffArb('A', false), fc.integer({ min: 1, max: 100 }), gbRows, fc.array(signed, { minLength: 1, maxLength: 3 }), async (t, percent, first, late) => {
          const a = discounted(t, percent);
          const toRows = (xs: Array<{ day: number; gb: bigint }>) => xs.map((x) => ({ hourMs: FEBRUARY.fromMs + x.day * 86_400_000 + 3_600_000, download: x.gb * GB, upload: 0n }));
          const netOf = (rows: UsageRow[]) => {
            const lines = rateAccount({ ...a, usage: new Map([[10, rows]]) }, at('2026-03-01'), RULES).invoice!.document.lines;
            const at0 = lines.findIndex((l) => l.kind === 'usage');
            if (at0 < 0) return { charged: 0n, discount: 0n };
            return { charged: lines[at0]!.amountMinor, discount: lines.reduce((s, l, j) => (l.kind === 'discount' && l.reduces !== undefined && j + l.reduces === at0 ? s - l.amountMinor : s), 0n) };
          };
          let rows = toRows(first);
          let { charged, discount } = netOf(rows);
          for (const batch of late) {
            // Bytes moved away never take a window below zero.
            const added = toRows(batch).map((r) => ({ ...r, download: r.download < 0n && -r.download > rows.reduce((s, x) => s + x.download, 0n) ? 0n : r.download }));
            rows = [...rows, ...added];
            const bytes = added.reduce((s, r) => s + r.download, 0n);
            const fakes: AdjustmentDeps = {
              invoices: { billedWindow: async () => ({ periodKey: '2026-03-01', chargedMinor: charged, discountMinor: discount }) },
              usage: { usageRows: async (ids) => new Map(ids.map((id) => [id, rows])) },
              tariffs: { topUpsFor: async () => [] },
            };
            const r = await adjustmentLines([{ id: 'x', serviceId: 10, period: FEBRUARY, download: bytes, upload: 0n }], a, RULES, fakes, TX);
            const sum = (xs: typeof r.invoiceLines, kind: string) => xs.filter((x) => x.line.kind === kind).reduce((s, x) => s + x.line.amountMinor, 0n);
            charged += sum(r.invoiceLines, 'adjustment') - sum(r.creditLines, 'adjustment');
            discount += -sum(r.invoiceLines, 'discount') + sum(r.creditLines, 'discount');
            const now = netOf(rows);
            expect([charged, discount]).to.deep.equal([now.charged, now.discount]);
          }
        }),
        { numRuns: 200 },
      );
    });
  });
});
