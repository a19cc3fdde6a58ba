import { expect } from 'chai';
import { amountToMinor, clientName, minorToAmount, serviceStatus, toHostCustomer, toHostPayment } from '../../../../../plugin/host/uisp/mapping.js';

describe('UISP CRM to Octet mapping', () => {
  it('reads CRM amounts (JSON numbers) exactly into minor units', () => {
    expect(amountToMinor(10.0, 'USD')).to.equal(1000n);
    expect(amountToMinor(0.1, 'USD')).to.equal(10n);
    expect(amountToMinor(347.94, 'USD')).to.equal(34794n);
    expect(amountToMinor(1500, 'JPY')).to.equal(1500n);
    expect(amountToMinor(1.234, 'KWD')).to.equal(1234n);
  });

  it('refuses an amount with more decimals than the currency has, or an unknown currency', () => {
    expect(() => amountToMinor(10.005, 'USD')).to.throw('more decimals than USD');
    expect(() => amountToMinor(10, 'XYZ')).to.throw('XYZ');
  });

  it('writes minor units as the JSON number of their exact decimal text', () => {
    expect(minorToAmount(1875n, 'USD')).to.equal(18.75);
    expect(JSON.stringify(minorToAmount(10n, 'USD'))).to.equal('0.1');
    expect(minorToAmount(1234n, 'KWD')).to.equal(1.234);
    expect(() => minorToAmount(12345678901234567n, 'USD')).to.throw('more digits');
  });

  it('keeps a suspended service active administratively and maps the other statuses', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(serviceStatus)).to.deep.equal(['pending', 'active', 'ended', 'active', 'pending', 'ended', 'pending', 'pending', 'stopped']);
  });

  it('names a company by its company name and a person by first and last name', () => {
    expect(clientName({ id: 1, clientType: 2, companyName: 'Acme Ltd', firstName: 'A', lastName: 'B' })).to.equal('Acme Ltd');
    expect(clientName({ id: 1, clientType: 1, firstName: 'Ada', lastName: 'Lovelace' })).to.equal('Ada Lovelace');
    expect(clientName({ id: 9 })).to.equal('UISP client 9');
  });

  it('reads a lead as new, an archived client as inactive and one with a suspended service as blocked', () => {
    expect(toHostCustomer({ id: 1, isLead: true }).status).to.equal('new');
    expect(toHostCustomer({ id: 1, isArchived: true, hasSuspendedService: true }).status).to.equal('inactive');
    expect(toHostCustomer({ id: 1, hasSuspendedService: true })).to.include({ status: 'blocked', hostStatus: 'suspended' });
  });

  it('skips a payment without a client and takes the first invoice it covers', () => {
    expect(toHostPayment({ id: 1, clientId: null, amount: 1, currencyCode: 'USD', createdDate: '2026-01-01T00:00:00+0000' })).to.equal(null);
    expect(toHostPayment({ id: 2, clientId: 5, amount: 2.5, currencyCode: 'EUR', createdDate: '2026-01-02T10:00:00+0000', providerPaymentId: 'WP451837', paymentCovers: [{ invoiceId: null }, { invoiceId: 9 }] })).to.deep.equal({
      externalId: '2', customerExternalId: '5', amountMinor: 250n, currency: 'EUR', date: '2026-01-02', invoiceExternalId: '9', reference: 'WP451837',
    });
  });
});
