import { expect } from 'chai';
import { DEFAULT_SPLYNX_ROLE_MAP } from '../../../../../plugin/host/config.js';
import { errorFromResponse, SplynxAuthError, SplynxInputError, SplynxNotFoundError, SplynxUnavailableError } from '../../../../../plugin/host/splynx/errors.js';
import { amountToMinor, mapRole, minorToAmount, splynxDate, toHostCustomer, toHostService } from '../../../../../plugin/host/splynx/mapping.js';

describe('Splynx administrator roles in Octet', () => {
  it('by default: super-administrator and administrator are admins, manager, accountant and finance do billing', () => {
    expect(mapRole('super-administrator', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('admin');
    expect(mapRole('administrator', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('admin');
    expect(mapRole('manager', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('billing');
    expect(mapRole('accountant', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('billing');
    expect(mapRole('finance', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('billing');
  });

  it('any role the map does not name only reads', () => {
    expect(mapRole('customer-creator', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('readonly');
    expect(mapRole('engineer', DEFAULT_SPLYNX_ROLE_MAP)).to.equal('readonly');
  });

  it('follows the configured map instead of the default', () => {
    expect(mapRole('engineer', { engineer: 'billing' })).to.equal('billing');
    expect(mapRole('administrator', { engineer: 'billing' })).to.equal('readonly');
  });
});

describe('Splynx error answers', () => {
  const body = (code: number, internal: string) => ({ error: { message: 'm', code, internal_code: internal } });
  it('401 and 403 are auth errors that are not retried, with the internal code kept', () => {
    const e = errorFromResponse('GET', 'admin/customers/customer', 401, body(401, 'EXPIRED_ACCESS_TOKEN'));
    expect(e).to.be.instanceOf(SplynxAuthError);
    expect(e.internalCode).to.equal('EXPIRED_ACCESS_TOKEN');
    expect(e.retryable).to.equal(false);
    expect(errorFromResponse('GET', 'x', 403, body(403, 'FORBIDDEN'))).to.be.instanceOf(SplynxAuthError);
  });
  it('404 is not found; 400 and 422 are refused input; neither is retried', () => {
    expect(errorFromResponse('GET', 'x', 404, body(404, 'NOT_FOUND'))).to.be.instanceOf(SplynxNotFoundError);
    const e = errorFromResponse('POST', 'x', 422, body(422, 'INVALID_INPUT_DATA'));
    expect(e).to.be.instanceOf(SplynxInputError);
    expect(e.retryable).to.equal(false);
    expect(e.message).to.contain('INVALID_INPUT_DATA');
  });
  it('429 and 5xx are retried, even with a body that is not Splynx JSON', () => {
    expect(errorFromResponse('GET', 'x', 429, null)).to.be.instanceOf(SplynxUnavailableError);
    const e = errorFromResponse('GET', 'x', 502, '<html>');
    expect(e).to.be.instanceOf(SplynxUnavailableError);
    expect(e.retryable).to.equal(true);
    expect(e.message).to.contain('502');
  });
});

describe('Splynx values in Octet', () => {
  it('amounts become minor units exactly, and an amount finer than the currency is refused', () => {
    expect(amountToMinor('158.2500', 'EUR')).to.equal(15825n);
    expect(amountToMinor('1000', 'JPY')).to.equal(1000n);
    expect(() => amountToMinor('1.005', 'EUR')).to.throw(/more decimals/);
    expect(() => amountToMinor('abc', 'EUR')).to.throw(/not an amount/);
    expect(minorToAmount(15825n, 'EUR')).to.equal('158.25');
    expect(minorToAmount(5n, 'KWD')).to.equal('0.005');
  });
  it('0000-00-00 and -0001-11-30 mean no date', () => {
    expect(splynxDate('0000-00-00')).to.equal(null);
    expect(splynxDate('-0001-11-30')).to.equal(null);
    expect(splynxDate('2016-01-01')).to.equal('2016-01-01');
  });
  it('customer statuses: disabled is inactive, blocked stays blocked, the Splynx word is kept', () => {
    expect(toHostCustomer({ id: '3', name: 'A', status: 'disabled' })).to.include({ externalId: '3', status: 'inactive', hostStatus: 'disabled' });
    expect(toHostCustomer({ id: '4', name: 'B', status: 'blocked' }).status).to.equal('blocked');
  });
  it('a service carries its tariff title; disabled and hidden services are ended', () => {
    const s = toHostService({ id: '1', customer_id: '2', tariff_id: '1', status: 'hidden', login: 'x', start_date: '2016-01-01', end_date: '0000-00-00' }, new Map([['1', 'Aplha']]));
    expect(s).to.include({ tariffName: 'Aplha', status: 'ended', endDate: null, login: 'x' });
  });
});
