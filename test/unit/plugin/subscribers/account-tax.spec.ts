import { expect } from 'chai';
import { billingProfileOf } from '../../../../plugin/subscribers/billing-port.js';
import type { Account } from '../../../../plugin/subscribers/accounts.repository.js';
import { parseAccountInput } from '../../../../plugin/subscribers/validation.js';

const defaults = { currency: 'EUR' };
const T = new Date('2026-01-01T00:00:00Z');

describe('an account tax, payment terms and invoice address', () => {
  it('takes the tax percent as decimal text, one spelling per value, a comma read as the decimal point', () => {
    for (const [raw, want] of [['19', '19'], ['7.5', '7.5'], ['07,50', '7.5'], ['0', '0'], ['99.999999', '99.999999'], [19, '19'], [7.5, '7.5'], ['', null], [null, null]] as const) {
      const { value, issues } = parseAccountInput({ taxPercent: raw }, 'update', defaults);
      expect(issues, String(raw)).to.deep.equal([]);
      expect(value.taxPercent, String(raw)).to.equal(want);
    }
  });

  it('refuses a percent below 0, of 100 or more, or not written as a decimal, saying which', () => {
    const message = (raw: unknown) => parseAccountInput({ taxPercent: raw }, 'update', defaults).issues[0]?.message;
    expect(message('-1')).to.equal('must not be negative');
    expect(message('100')).to.equal('must be below 100');
    expect(message('19%')).to.equal('must be a percentage from 0 to below 100 written as decimal text, such as "19" or "7.5", not "19%"');
    expect(message('1e1')).to.contain('decimal text');
    expect(message(true)).to.contain('decimal text');
  });

  it('takes payment terms in whole days from 0 to 365, empty for the default', () => {
    expect(parseAccountInput({ paymentTermsDays: '14' }, 'update', defaults).value.paymentTermsDays).to.equal(14);
    expect(parseAccountInput({ paymentTermsDays: 30 }, 'update', defaults).value.paymentTermsDays).to.equal(30);
    expect(parseAccountInput({ paymentTermsDays: '' }, 'update', defaults).value.paymentTermsDays).to.equal(null);
    for (const bad of ['366', '-1', '7.5', 'two weeks']) {
      expect(parseAccountInput({ paymentTermsDays: bad }, 'update', defaults).issues, bad).to.deep.equal([{ field: 'paymentTermsDays', message: 'must be a whole number of days from 0 to 365' }]);
    }
  });

  it('requires the reason of a tax exemption on a new account, since the invoice prints it', () => {
    expect(parseAccountInput({ name: 'Charity', taxExempt: 'yes' }, 'create', defaults).issues).to.deep.equal([
      { field: 'taxExemptReason', message: 'is required when the account is tax exempt: it is printed on the invoice' },
    ]);
    const ok = parseAccountInput({ name: 'Charity', taxExempt: 'yes', taxExemptReason: ' Reg. charity 1234 ' }, 'create', defaults);
    expect(ok.issues).to.deep.equal([]);
    expect(ok.value).to.include({ taxExempt: true, taxExemptReason: 'Reg. charity 1234', taxName: null, taxPercent: null, paymentTermsDays: null, billingEmail: null });
  });

  it('checks the invoice e-mail like the e-mail, and the tax name length', () => {
    expect(parseAccountInput({ billingEmail: 'invoices-at-example' }, 'update', defaults).issues[0]).to.deep.equal({ field: 'billingEmail', message: 'is not an e-mail address (name@example.net)' });
    expect(parseAccountInput({ taxName: 'V'.repeat(41) }, 'update', defaults).issues[0]).to.deep.equal({ field: 'taxName', message: 'is too long (at most 40 characters)' });
  });

  it('gives billing the tax as a rate (null for the default) or as an exemption with its reason', () => {
    const base: Account = {
      id: 5, externalId: 'C-5', name: 'Ada', email: 'ada@example.net', phone: null, addressLine1: '12 Square', addressLine2: null, city: 'London', postalCode: 'SW1',
      country: 'GB', taxId: 'GB1', taxExempt: false, taxExemptReason: null, taxName: 'VAT', taxPercent: null, paymentTermsDays: 14, billingEmail: 'ap@example.net',
      currency: 'GBP', status: 'active', createdAt: T, updatedAt: T,
    };
    expect(billingProfileOf(base)).to.deep.equal({
      accountId: 5, externalId: 'C-5', name: 'Ada', email: 'ada@example.net', billingEmail: 'ap@example.net', addressLines: ['12 Square', 'SW1 London', 'GB'],
      taxId: 'GB1', currency: 'GBP', tax: { kind: 'rate', name: 'VAT', percent: null }, paymentTermsDays: 14, status: 'active', createdAt: T,
    });
    expect(billingProfileOf({ ...base, taxExempt: true, taxExemptReason: 'Reverse charge' }).tax).to.deep.equal({ kind: 'exempt', reason: 'Reverse charge' });
  });
});
