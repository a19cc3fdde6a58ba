import { expect } from 'chai';
import fc from 'fast-check';
import { decimal, roundToInteger, ROUNDING_RULES } from '../../../../plugin/common/money.js';
import { taxInvoice, type AccountTax } from '../../../../plugin/rating/tax.js';

const vat = (percent: string): AccountTax => ({ kind: 'rate', name: 'VAT', percent: decimal(percent) });
const ex = (amountMinor: bigint) => ({ amountMinor, taxInclusive: false });
const inc = (amountMinor: bigint) => ({ amountMinor, taxInclusive: true });
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe('tax', () => {
  it('adds 12% to a tax-exclusive line of 1000 cents: 120 (getlago/lago-api spec/services/fees/apply_taxes_service_spec.rb)', () => {
    const r = taxInvoice([ex(1000n)], vat('12'), 'line');
    expect(r.lines[0]).to.deep.equal({ netMinor: 1000n, taxMinor: 120n, grossMinor: 1120n });
    expect(r.totals).to.deep.equal({ netMinor: 1000n, taxMinor: 120n, totalMinor: 1120n });
  });

  it('takes the tax out of a tax-inclusive price: 119.00 at 19% is 100.00 net and 19.00 tax', () => {
    const r = taxInvoice([inc(11900n)], vat('19'), 'line');
    expect(r.lines[0]).to.deep.equal({ netMinor: 10000n, taxMinor: 1900n, grossMinor: 11900n });
  });

  it('taxes each rounded line by default, or the invoice total by setting (three lines of 0.12 at 19%)', () => {
    const lines = [ex(12n), ex(12n), ex(12n)];
    expect(taxInvoice(lines, vat('19'), 'line').totals.taxMinor).to.equal(6n); // 3 x round(2.28)
    const onTotal = taxInvoice(lines, vat('19'), 'total');
    expect(onTotal.totals.taxMinor).to.equal(7n); // round(36 x 0.19 = 6.84)
    expect(onTotal.lines.map((l) => l.taxMinor)).to.deep.equal([null, null, null]);
  });

  it('prints the reason of an exemption and charges no tax', () => {
    const r = taxInvoice([ex(5000n), inc(1190n)], { kind: 'exempt', reason: 'reverse charge, Art. 196 VAT Directive' }, 'line');
    expect(r.totals).to.deep.equal({ netMinor: 6190n, taxMinor: 0n, totalMinor: 6190n });
    expect(r.taxes).to.deep.equal([{ name: 'exempt', percent: null, exemptReason: 'reverse charge, Art. 196 VAT Directive', netMinor: 6190n, taxMinor: 0n, grossMinor: 6190n }]);
  });

  it('property: the invoice total equals the sum of its lines and the tax summary, to the minor unit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ amountMinor: fc.bigInt(0n, 10n ** 10n), taxInclusive: fc.boolean() }), { maxLength: 12 }),
        fc.constantFrom('0', '5', '7.7', '16', '19', '20', '21', '27'),
        fc.constantFrom('line' as const, 'total' as const),
        fc.constantFrom(...ROUNDING_RULES),
        (lines, percent, mode, rule) => {
          const r = taxInvoice(lines, vat(percent), mode, rule);
          const { netMinor, taxMinor, totalMinor } = r.totals;
          expect(netMinor + taxMinor).to.equal(totalMinor);
          expect(sum(r.taxes.map((t) => t.grossMinor))).to.equal(totalMinor);
          expect(sum(r.taxes.map((t) => t.taxMinor))).to.equal(taxMinor);
          if (mode === 'line') {
            expect(sum(r.lines.map((l) => l.grossMinor!))).to.equal(totalMinor);
            expect(sum(r.lines.map((l) => l.taxMinor!))).to.equal(taxMinor);
            r.lines.forEach((l, i) => expect(lines[i]!.taxInclusive ? l.grossMinor : l.netMinor).to.equal(lines[i]!.amountMinor));
          } else {
            const exclusive = sum(lines.filter((l) => !l.taxInclusive).map((l) => l.amountMinor));
            const inclusive = sum(lines.filter((l) => l.taxInclusive).map((l) => l.amountMinor));
            // Inclusive lines already hold their tax; only the exclusive sum gains tax, rounded once.
            expect(totalMinor).to.equal(inclusive + exclusive + roundToInteger(decimal(exclusive).times(percent).div(100), rule));
          }
        },
      ),
    );
  });
});
