import { expect } from 'chai';
import fc from 'fast-check';
import { ValidationError } from '../../../plugin/common/errors.js';
import { currencyExponent, decimal, divRound, formatMinor, formatMoney, fromMinor, toMinor } from '../../../plugin/common/money.js';

describe('money', () => {
  it('knows the minor unit of the currencies an ISP bills in (ISO 4217)', () => {
    expect(['JPY', 'KRW', 'CLP', 'VND', 'ISK'].map(currencyExponent)).to.deep.equal([0, 0, 0, 0, 0]);
    expect(['USD', 'EUR', 'GBP', 'INR', 'NPR', 'BRL', 'ZAR'].map(currencyExponent)).to.deep.equal([2, 2, 2, 2, 2, 2, 2]);
    expect(['KWD', 'BHD', 'OMR', 'JOD', 'TND'].map(currencyExponent)).to.deep.equal([3, 3, 3, 3, 3]);
  });

  it('refuses a currency code it does not know, naming it', () => {
    expect(() => currencyExponent('XYZ')).to.throw(ValidationError, /unknown currency "XYZ"/);
    expect(() => currencyExponent('eur')).to.throw(ValidationError);
  });

  it('rounds half up by default, away from zero for credits too', () => {
    expect(toMinor(decimal('2.345'), 'EUR')).to.equal(235n);
    expect(toMinor(decimal('-2.345'), 'EUR')).to.equal(-235n);
    expect(toMinor(decimal('2.3449999'), 'EUR')).to.equal(234n);
  });

  it('rounds by the named rule: half-even, up, down', () => {
    expect(toMinor(decimal('2.345'), 'EUR', 'half-even')).to.equal(234n);
    expect(toMinor(decimal('2.355'), 'EUR', 'half-even')).to.equal(236n);
    expect(toMinor(decimal('2.341'), 'EUR', 'up')).to.equal(235n);
    expect(toMinor(decimal('2.349'), 'EUR', 'down')).to.equal(234n);
    expect(toMinor(decimal('-2.341'), 'EUR', 'up')).to.equal(-235n);
  });

  it('rounds to the currency exponent: no decimals for yen, three for dinars', () => {
    expect(toMinor(decimal('1234.5'), 'JPY')).to.equal(1235n);
    expect(toMinor(decimal('1.2345'), 'KWD')).to.equal(1235n);
    expect(formatMinor(1235n, 'JPY')).to.equal('1235');
    expect(formatMinor(1235n, 'KWD')).to.equal('1.235');
    expect(formatMinor(5n, 'KWD')).to.equal('0.005');
    expect(formatMinor(-5n, 'EUR')).to.equal('-0.05');
    expect(formatMoney(123450n, 'EUR')).to.equal('1234.50 EUR');
  });

  it('keeps amounts beyond 2^53 exact', () => {
    const big = decimal('123456789012345678901234.567');
    expect(toMinor(big, 'EUR')).to.equal(12345678901234567890123457n);
    expect(fromMinor(12345678901234567890123457n, 'EUR').toFixed()).to.equal('123456789012345678901234.57');
  });

  it('reads decimals from text only, never from a float', () => {
    expect(() => decimal(0.1 as unknown as string)).to.throw();
    expect(() => decimal('1,5')).to.throw(RangeError);
    expect(decimal('0.1').plus(decimal('0.2')).toFixed()).to.equal('0.3');
  });

  it('divides integers rounding once, as decimal rounding would', () => {
    fc.assert(
      fc.property(fc.bigInt(-(10n ** 15n), 10n ** 15n), fc.bigInt(1n, 10n ** 6n), fc.constantFrom('half-up', 'half-even', 'up', 'down' as const), (n, d, rule) => {
        const viaDecimal = toMinor(decimal(n).div(decimal(d)).div(100), 'EUR', rule);
        expect(divRound(n, d, rule)).to.equal(viaDecimal);
      }),
    );
  });
});
