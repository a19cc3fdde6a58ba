import { expect } from 'chai';
import request from 'supertest';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

type Method = 'get' | 'post' | 'put' | 'delete';

const definition = {
  code: 'FIBRE-50', name: 'Fibre 50', currency: 'EUR', recurringFee: '29.90',
  usage: { direction: 'both', unit: 'GB', includedUnits: '200', charge: { model: 'per_unit', unitPrice: '0.05', block: '10' }, topUps: [{ code: 'EXTRA-100', units: '100', price: '3.00' }] },
};

forEachDatabase('tariffs, extra charges and top-ups REST API', (dialect) => {
  let plugin: TestPlugin;
  let billing: string;
  let readonly: string;
  let tokenId: number;

  /** Every response is checked against plugin/api/openapi.yaml. */
  async function call(method: Method, path: string, token: string | null, body?: unknown) {
    let r = request(plugin.app)[method](path);
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    const res = body === undefined ? await r : await r.send(body as object);
    return expectValidResponse(res);
  }

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    const b = await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test');
    billing = b.token;
    tokenId = b.info.id;
    readonly = (await plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test')).token;
  });
  after(async () => plugin?.close());

  it('creates a tariff as version 1 and lists it with its definition, decimals as text', async () => {
    (plugin.clock as ManualClock).set('2026-03-01T09:00:00Z');
    const res = await call('post', '/api/v1/tariffs', billing, definition);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.headers.location).to.equal('/api/v1/tariffs/FIBRE-50');
    expect(res.body).to.deep.include({ code: 'FIBRE-50', status: 'active', currentVersion: 1 });
    expect(res.body.versions[0]).to.deep.include({ version: 1, effectiveFrom: '2026-03-01T09:00:00.000Z', createdBy: `token:${tokenId}` });
    const list = await call('get', '/api/v1/tariffs', readonly);
    expect(list.body.items).to.have.length(1);
    expect(list.body.items[0].definition.usage.charge).to.deep.equal({ model: 'per_unit', unitPrice: '0.05', block: '10' });
  });

  it('PUT makes version 2 effective now; GET shows both, oldest first', async () => {
    (plugin.clock as ManualClock).set('2026-03-20T12:00:00Z');
    const { code: _c, currency: _cur, ...rest } = definition;
    const res = await call('put', '/api/v1/tariffs/FIBRE-50', billing, { ...rest, recurringFee: '32.90' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const got = await call('get', '/api/v1/tariffs/FIBRE-50', readonly);
    expect(got.body.versions.map((v: { version: number; effectiveFrom: string; definition: { recurringFee: string } }) => [v.version, v.effectiveFrom, v.definition.recurringFee])).to.deep.equal([
      [1, '2026-03-01T09:00:00.000Z', '29.90'],
      [2, '2026-03-20T12:00:00.000Z', '32.90'],
    ]);
  });

  it('answers 422 naming every bad field, 409 for a code in use, 404 for an unknown tariff', async () => {
    const bad = await call('post', '/api/v1/tariffs', billing, { code: 'x y', name: 'X', currency: 'EUR', recurringFee: 29.9, usage: { direction: 'both', unit: 'GB', charge: { model: 'graduated', tiers: [{ from: '0', to: '10', unitPrice: 'cheap' }] } } });
    expect(bad.status).to.equal(422);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).to.deep.equal(['code', 'recurringFee', 'usage.charge.tiers.0.unitPrice']);
    expect((await call('post', '/api/v1/tariffs', billing, definition)).status).to.equal(409);
    expect((await call('get', '/api/v1/tariffs/NOPE', readonly)).status).to.equal(404);
    const currency = await call('put', '/api/v1/tariffs/FIBRE-50', billing, { ...definition, currency: 'USD' });
    expect(currency.status).to.equal(422);
    expect(currency.body.error.issues).to.deep.equal([{ field: 'currency', message: 'cannot change between versions (it is EUR): make a new tariff instead' }]);
  });

  it('refuses every write of a readonly token with 403', async () => {
    expect((await call('post', '/api/v1/tariffs', readonly, { ...definition, code: 'RO' })).status).to.equal(403);
    expect((await call('put', '/api/v1/tariffs/FIBRE-50', readonly, definition)).status).to.equal(403);
    expect((await call('post', '/api/v1/tariffs/FIBRE-50/archive', readonly)).status).to.equal(403);
    expect((await call('post', '/api/v1/accounts/1/charges', readonly, {})).status).to.equal(403);
    expect((await call('delete', '/api/v1/charges/1', readonly)).status).to.equal(403);
    expect((await call('post', '/api/v1/services/1/topups', readonly, { code: 'X' })).status).to.equal(403);
  });

  it('extra charges: add, list, remove; an unknown account is 404 and bad input 422', async () => {
    const account = await plugin.services.subscribers.subscribers.createAccount({ name: 'API Customer' }, 'test');
    const added = await call('post', `/api/v1/accounts/${account.id}/charges`, billing, { code: 'VOICE', description: 'Voice line', price: '7.50', recurring: true, fromDate: '2026-03-01', taxInclusive: true });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    expect(added.body).to.deep.include({ code: 'VOICE', price: '7.50', recurring: true, taxInclusive: true, fromDate: '2026-03-01', toDate: null, at: null, status: 'active' });
    const oneOff = await call('post', `/api/v1/accounts/${account.id}/charges`, billing, { code: 'ROUTER', description: 'Router sale', price: '59.00', recurring: false, at: '2026-03-05T10:00:00+01:00' });
    expect(oneOff.body.at).to.equal('2026-03-05T09:00:00.000Z');
    const bad = await call('post', `/api/v1/accounts/${account.id}/charges`, billing, { code: 'TV', description: 'TV', price: 9.99, recurring: false });
    expect(bad.status).to.equal(422);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).to.deep.equal(['at', 'price']);
    expect((await call('post', '/api/v1/accounts/999999/charges', billing, { code: 'TV', description: 'TV', price: '9.99', recurring: true })).status).to.equal(404);
    const removed = await call('delete', `/api/v1/charges/${oneOff.body.id}`, billing);
    expect(removed.body.status).to.equal('removed');
    expect((await call('delete', `/api/v1/charges/${oneOff.body.id}`, billing)).status).to.equal(409);
    const list = await call('get', `/api/v1/accounts/${account.id}/charges`, readonly);
    expect(list.body.items.map((c: { code: string }) => c.code)).to.deep.equal(['VOICE']);
    const all = await call('get', `/api/v1/accounts/${account.id}/charges?includeRemoved=true`, readonly);
    expect(all.body.items.map((c: { code: string; status: string }) => `${c.code}:${c.status}`)).to.deep.equal(['VOICE:active', 'ROUTER:removed']);
  });

  it('top-ups: one the tariff offers is bought; one it lacks is refused with a clear error', async () => {
    const subs = plugin.services.subscribers.subscribers;
    const account = await subs.createAccount({ name: 'Pack Buyer' }, 'test');
    const service = await subs.createService(account.id, { login: 'api-topup-1', tariff: 'FIBRE-50' }, 'test');
    const ok = await call('post', `/api/v1/services/${service.id}/topups`, billing, { code: 'EXTRA-100', at: '2026-03-21T08:00:00Z' });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body).to.deep.include({ serviceId: service.id, code: 'EXTRA-100', at: '2026-03-21T08:00:00.000Z' });
    const refused = await call('post', `/api/v1/services/${service.id}/topups`, billing, { code: 'EXTRA-999' });
    expect(refused.status).to.equal(422);
    expect(refused.body.error.message).to.equal('tariff FIBRE-50 has no top-up EXTRA-999 (it offers EXTRA-100)');
    expect((await call('post', '/api/v1/services/999999/topups', billing, { code: 'EXTRA-100' })).status).to.equal(404);
    const list = await call('get', `/api/v1/services/${service.id}/topups`, readonly);
    expect(list.body.items.map((p: { code: string }) => p.code)).to.deep.equal(['EXTRA-100']);
  });

  it('archives a tariff once; a second archive is 409', async () => {
    const res = await call('post', '/api/v1/tariffs/FIBRE-50/archive', billing);
    expect(res.body.status).to.equal('archived');
    expect((await call('post', '/api/v1/tariffs/FIBRE-50/archive', billing)).status).to.equal(409);
  });
});
