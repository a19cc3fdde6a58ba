import { expect } from 'chai';
import { decimal } from '../../../../plugin/common/money.js';
import { ConfigError } from '../../../../plugin/common/errors.js';
import { discountCurve, lineDiscount } from '../../../../plugin/rating/discounts.js';
import { rateScenario } from '../../../../plugin/rating/rate-scenario.js';
import { parseScenarioText } from '../../../../plugin/rating/scenario.js';
import { taxInvoice } from '../../../../plugin/rating/tax.js';
import { scenarioText } from './scenario-text.js';

const rate = (text: string) => rateScenario(parseScenarioText(text, 'test.yaml'));
const lineOf = (doc: { lines: Array<{ kind: string; description: string; amountMinor: bigint }> }) => doc.lines.map((l) => `${l.kind} ${l.amountMinor}`);

function withDiscounts(discounts: string, service = '  start: 2026-01-10\n  tariffs: [{ tariff: BASIC, from: 2026-01-10 }]', extra: Record<string, string> = {}): string {
  return `${scenarioText({ service, invoices: '{ from: 2026-01-01, to: 2026-05-01 }', ...extra })}\ndiscounts:\n${discounts}`;
}

describe('discounts', () => {
  it('gives "3 months half price" on the fee: January prorated from the 10th, February and March whole, April full price', () => {
    const r = rate(withDiscounts('  - { code: WELCOME, appliesTo: recurring_fee, percent: 50, periods: 3 }'));
    const fees = r.documents.map((d) => d.lines.filter((l) => l.kind === 'recurring_fee' || l.kind === 'discount').map((l) => l.amountMinor));
    // BASIC costs 31.00 for 31 days: 22 days of January = 22.00, half = 11.00.
    expect(fees).to.deep.equal([[2200n, -1100n], [3100n, -1550n], [3100n, -1550n], [3100n]]);
  });

  it('shows the discount as its own negative line right after the line it reduces, naming it', () => {
    const r = rate(withDiscounts('  - { code: WELCOME, description: Welcome offer, appliesTo: recurring_fee, percent: 50 }'));
    const [fee, discount] = r.documents[0]!.lines;
    expect(fee!.kind).to.equal('recurring_fee');
    expect(discount!.kind).to.equal('discount');
    expect(discount!.description).to.equal('Discount WELCOME, Welcome offer (50%) on Basic (BASIC v1)');
    expect(discount!.reduces).to.equal(-1);
  });

  it('caps a fixed discount larger than the fee at the fee, so the pair is 0, never negative', () => {
    const r = rate(withDiscounts('  - { code: FREE, appliesTo: recurring_fee, amount: 100.00 }'));
    for (const d of r.documents) expect(d.totals.totalMinor >= 0n).to.equal(true);
    expect(lineOf(r.documents[1]!)).to.include.members(['recurring_fee 3100', 'discount -3100']);
  });

  it('ends a discount at its until date by whole days, and starts one at its from date on the next invoice', () => {
    const r = rate(withDiscounts('  - { code: SPRING, appliesTo: recurring_fee, percent: 100, from: 2026-02-11, until: 2026-03-11 }'));
    const at = (i: number) => r.documents[i]!.lines.filter((l) => l.kind === 'discount').map((l) => l.amountMinor);
    // 1 February: the discount has not begun. 1 March: 10 days of March (10.00), its end known in
    // advance; and 18 of 28 days of February (31.00 x 18/28 = 19.93), whose fee the February
    // invoice carried, credited on the credit note. 1 April: nothing.
    expect(at(1)).to.deep.equal([]);
    expect(at(2)).to.deep.equal([-1000n]);
    expect(r.documents[3]!.type).to.equal('credit_note');
    expect(r.documents[3]!.lines.map((l) => [l.kind, l.amountMinor, l.description])).to.deep.equal([['discount', 1993n, 'Discount SPRING (100%) on Basic (BASIC v1): days invoiced before']]);
    expect(at(4)).to.deep.equal([]);
  });

  it('discounts usage by percent, rounded once half-up, on the usage line\'s amount', () => {
    const r = rate(
      withDiscounts('  - { code: U10, appliesTo: usage, percent: 10 }', undefined, {
        usage: '  - { hour: 2026-01-15T10:00:00Z, download: 200555000000, upload: 0 }',
      }),
    );
    const feb = r.documents[1]!;
    // 200.555 GB, 22/31 of 100 GB included: 129.587258 GB x 0.10 = 12.96; 10% = 1.296 -> 1.30.
    expect(lineOf(feb).slice(0, 2)).to.deep.equal(['usage 1296', 'discount -130']);
  });

  it('with appliesTo all, reduces the fee, the extra charges, one-off items and usage of the service', () => {
    const r = rate(
      withDiscounts('  - { code: STAFF, appliesTo: all, percent: 100 }', undefined, {
        items: '  - { code: IP, description: Static IP, price: 5.00, recurring: true }\n  - { code: INSTALL, description: Installation, price: 79.00, recurring: false, at: 2026-01-10 }',
        usage: '  - { hour: 2026-01-15T10:00:00Z, download: 300000000000, upload: 0 }',
      }),
    );
    for (const d of r.documents) expect(d.totals.totalMinor).to.equal(0n);
    expect(r.documents[0]!.lines.map((l) => l.kind)).to.deep.equal(['one_off', 'discount', 'recurring_fee', 'discount', 'recurring_item', 'discount']);
  });

  it('credits the unused days of a discounted fee net of their discount at the end (the credit note takes the discount back)', () => {
    const r = rate(withDiscounts('  - { code: HALF, appliesTo: recurring_fee, percent: 50 }', '  start: 2026-01-10\n  end: 2026-02-20T12:00:00+01:00\n  tariffs: [{ tariff: BASIC, from: 2026-01-10 }]'));
    const credit = r.documents.find((d) => d.type === 'credit_note')!;
    // February paid in advance: 31.00 - 15.50; used 20 of 28 days: unused 8/28 of 31.00 = 8.86, half of it taken back.
    expect(lineOf(credit)).to.deep.equal(['recurring_fee 886', 'discount -443']);
    expect(credit.totals.netMinor).to.equal(443n);
  });

  it('taxes a discount so that the pair pays tax on its net amount (exclusive and inclusive prices)', () => {
    // 0.29 x 19% = 0.0551 -> 0.06; 0.10 net of a 0.19 discount... the pair 0.10 pays 0.02.
    const ex = taxInvoice([{ amountMinor: 29n, taxInclusive: false }, { amountMinor: -19n, taxInclusive: false, reduces: -1 }], { kind: 'rate', name: 'VAT', percent: decimal('19') }, 'line');
    expect(ex.lines.map((l) => l.taxMinor)).to.deep.equal([6n, -4n]);
    expect(ex.totals).to.deep.equal({ netMinor: 10n, taxMinor: 2n, totalMinor: 12n });
    // Inclusive: 11.90 gross = 10.00 + 1.90; less 5.95 leaves 5.95 = 5.00 + 0.95.
    const inc = taxInvoice([{ amountMinor: 1190n, taxInclusive: true }, { amountMinor: -595n, taxInclusive: true, reduces: -1 }], { kind: 'rate', name: 'VAT', percent: decimal('19') }, 'line');
    expect(inc.lines.map((l) => [l.netMinor, l.taxMinor])).to.deep.equal([[1000n, 190n], [-500n, -95n]]);
  });

  it('holds the running discount between 0 and the running fee, reaching the whole-period discount on the last day', () => {
    const g = discountCurve(decimal('0.03'), { kind: 'percent', value: decimal('50') }, 4, 'EUR', 'half-up');
    expect(g[0]).to.equal(0n);
    expect(g[4]).to.equal(2n); // 0.015 -> 0.02
    for (let x = 1; x <= 4; x++) expect(g[x]! >= g[x - 1]!).to.equal(true);
  });

  it('refuses two discounts that would reduce the same charges on the same days, and takes them one after the other', () => {
    expect(() => rate(withDiscounts('  - { code: A, appliesTo: recurring_fee, percent: 50 }\n  - { code: B, appliesTo: all, percent: 10, from: 2026-03-01 }'))).to.throw(ConfigError, 'discounts.1: B reduces the same charges as A on the same days');
    const r = rate(withDiscounts('  - { code: A, appliesTo: recurring_fee, percent: 50, until: 2026-03-01 }\n  - { code: B, appliesTo: all, percent: 10, from: 2026-03-01 }\n  - { code: C, appliesTo: usage, percent: 10, until: 2026-03-01 }'));
    expect(r.documents[2]!.lines.filter((l) => l.kind === 'discount' && l.description.includes('on Basic')).map((l) => l.amountMinor)).to.deep.equal([-310n]);
  });

  it('never gives a one-off line a discount above its amount', () => {
    expect(lineDiscount(500n, { kind: 'fixed', value: decimal('9') }, decimal('1'), decimal('1'), 'EUR', 'half-up')).to.equal(500n);
    expect(lineDiscount(0n, { kind: 'percent', value: decimal('50') }, decimal('1'), decimal('1'), 'EUR', 'half-up')).to.equal(0n);
  });

  for (const [discount, field] of [
    ['{ code: X, appliesTo: all, amount: 5 }', 'discounts.0.appliesTo: a fixed amount names what it reduces'],
    ['{ code: X, appliesTo: usage, percent: 120 }', 'discounts.0.percent: must be above 0 and at most 100'],
    ['{ code: X, appliesTo: usage }', 'discounts.0.percent: give either percent or amount'],
    ['{ code: X, appliesTo: usage, percent: 5, amount: 5 }', 'discounts.0.percent: give either percent or amount'],
    ['{ code: X, appliesTo: usage, percent: 5, periods: 0 }', 'discounts.0.periods: must be a whole number of periods'],
    ['{ code: X, appliesTo: usage, percent: 5, from: 2026-03-01, until: 2026-02-01 }', 'discounts.0.until: must be after from'],
    ['{ code: X, appliesTo: fees, percent: 5 }', 'discounts.0.appliesTo'],
  ] as const) {
    it(`refuses a scenario file with ${discount}, naming ${field.split(':')[0]}`, () => {
      let err: unknown;
      try {
        rate(withDiscounts(`  - ${discount}`));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.contain(field);
    });
  }
});
