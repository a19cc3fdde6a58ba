import { expect } from 'chai';
import fc from 'fast-check';
import { decimal, ROUNDING_RULES } from '../../../../plugin/common/money.js';
import { allocateByDays, proratedPart, unusedCredit } from '../../../../plugin/rating/proration.js';

describe('proration of the recurring fee', () => {
  it('charges a service started on the 10th of a 30-day month for 21 of 30 days', () => {
    // 29.99 x 21 / 30 = 20.993 -> 20.99
    expect(proratedPart(decimal('29.99'), 30, { fromDay: 9, toDay: 30 }, 'EUR')).to.equal(2099n);
  });

  it('uses the actual length of the month: the same 21 days cost less in a 31-day month', () => {
    expect(proratedPart(decimal('31'), 31, { fromDay: 10, toDay: 31 }, 'EUR')).to.equal(2100n);
    expect(proratedPart(decimal('31'), 28, { fromDay: 7, toDay: 28 }, 'EUR')).to.equal(2325n);
  });

  it('prorates in zero-decimal currencies to whole yen', () => {
    expect(proratedPart(decimal('5000'), 31, { fromDay: 0, toDay: 10 }, 'JPY')).to.equal(1613n);
  });

  it('makes three thirds of 10.00 add up to 10.00, not 9.99', () => {
    expect(allocateByDays(decimal('10'), 30, [0, 10, 20, 30], 'EUR')).to.deep.equal([333n, 334n, 333n]);
  });

  it('credits the unused days of a prepaid period so that used plus credit is what was charged', () => {
    const fee = decimal('49.90');
    const charged = proratedPart(fee, 31, { fromDay: 0, toDay: 31 }, 'EUR');
    const used = proratedPart(fee, 31, { fromDay: 0, toDay: 12 }, 'EUR');
    const credit = unusedCredit(fee, 31, { fromDay: 0, toDay: 31 }, 12, 'EUR');
    expect(credit).to.equal(3058n); // 49.90 - round(49.90 x 12 / 31 = 19.316)
    expect(used + credit).to.equal(charged);
    expect(unusedCredit(fee, 31, { fromDay: 5, toDay: 31 }, 31, 'EUR')).to.equal(0n);
  });

  it('property: the prorated parts of a period always add up to the full fee, to the minor unit', () => {
    fc.assert(
      fc.property(
        fc.bigInt(0n, 10n ** 12n),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 28, max: 31 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 6 }),
        fc.constantFrom(...ROUNDING_RULES),
        fc.constantFrom('EUR', 'JPY', 'KWD'),
        (units, scale, days, inner, rule, currency) => {
          const fee = decimal(units).div(10 ** scale);
          const cuts = [0, ...inner.filter((c) => c < days).sort((a, b) => a - b), days];
          const parts = allocateByDays(fee, days, cuts, currency, rule);
          for (const p of parts) expect(typeof p).to.equal('bigint');
          expect(parts.reduce((a, b) => a + b, 0n)).to.equal(proratedPart(fee, days, { fromDay: 0, toDay: days }, currency, rule));
        },
      ),
    );
  });
});
