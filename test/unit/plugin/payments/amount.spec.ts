import { expect } from 'chai';
import { ValidationError } from '../../../../plugin/common/errors.js';
import { amountFromMinorText, amountFromText } from '../../../../plugin/payments/amount.js';

function issueOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return (err as ValidationError).issues[0]!;
  }
  throw new Error('expected a ValidationError');
}

describe('a payment amount typed as decimal text', () => {
  it('becomes minor units of the account currency without a float', () => {
    expect(amountFromText('12.50', 'EUR')).to.equal(1250n);
    expect(amountFromText('12.5', 'EUR')).to.equal(1250n);
    expect(amountFromText('1500', 'JPY')).to.equal(1500n);
    expect(amountFromText('1.250', 'KWD')).to.equal(1250n);
    expect(amountFromText(' 999999999999999.99 ', 'EUR')).to.equal(99999999999999999n);
    expect(amountFromText('0.10', 'USD')).to.equal(10n);
  });

  it('refuses more decimals than the currency has, rather than rounding', () => {
    expect(issueOf(() => amountFromText('12.505', 'EUR'))).to.deep.equal({ field: 'amount', message: 'EUR has 2 decimals at most' });
    expect(issueOf(() => amountFromText('10.5', 'JPY'))).to.deep.equal({ field: 'amount', message: 'JPY has no minor unit: give a whole amount' });
  });

  it('refuses negative, zero, malformed and thousands-separated amounts, naming the field', () => {
    expect(issueOf(() => amountFromText('-5.00', 'EUR')).message).to.equal('must be positive');
    expect(issueOf(() => amountFromText('0.00', 'EUR')).message).to.equal('must be more than zero');
    for (const bad of ['', 'abc', '1,000.00', '12,50', '1e3', '.5', '12.', 'NaN']) expect(issueOf(() => amountFromText(bad, 'EUR')).field).to.equal('amount');
  });

  it('reads an API amount only as a string of digits', () => {
    expect(amountFromMinorText('1250')).to.equal(1250n);
    for (const bad of [1250, '12.50', '-1', '0', '', null, '1'.repeat(19)]) expect(issueOf(() => amountFromMinorText(bad)).field).to.equal('amountMinor');
  });
});
