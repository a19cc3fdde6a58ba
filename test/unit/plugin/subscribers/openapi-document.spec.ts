import { expect } from 'chai';
import { OpenApiChecker } from '../../../support/openapi.js';

/** The checker the API specs rely on must itself catch mismatches. */
describe('the OpenAPI document and its response checker', () => {
  const checker = new OpenApiChecker();
  const json = { 'content-type': 'application/json; charset=utf-8' };
  const account = {
    id: 1, externalId: null, name: 'x', email: null, phone: null, addressLine1: null, addressLine2: null, city: null, postalCode: null,
    country: null, taxId: null, taxExempt: false, taxExemptReason: null, taxName: null, taxPercent: null, paymentTermsDays: null, billingEmail: null, currency: 'EUR', status: 'active', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const get = (path: string) => ({ method: 'GET', path });

  it('accepts a response that matches', () => {
    expect(() => checker.check({ status: 200, headers: json, body: { items: [account], nextCursor: null } }, get('/api/v1/accounts?q=x'))).not.to.throw();
  });

  it('rejects a field the document does not have, or a value outside an enum', () => {
    expect(() => checker.check({ status: 200, headers: json, body: { ...account, nickname: 'x' } }, get('/api/v1/accounts/1'))).to.throw(/additional properties/);
    expect(() => checker.check({ status: 200, headers: json, body: { ...account, status: 'gone' } }, get('/api/v1/accounts/1'))).to.throw(/allowed values/);
  });

  it('rejects a status the operation does not document, and a path it does not know', () => {
    expect(() => checker.check({ status: 418, headers: json, body: {} }, get('/api/v1/accounts/1'))).to.throw(/status 418 is not documented/);
    expect(() => checker.check({ status: 200, headers: json, body: {} }, get('/api/v1/nowhere'))).to.throw(/no path/);
  });

  it('holds every error to the { error: { message, issues } } shape', () => {
    expect(() => checker.check({ status: 422, headers: json, body: { error: { message: 'x' } } }, { method: 'POST', path: '/api/v1/accounts' })).to.throw(/issues/);
  });
});
