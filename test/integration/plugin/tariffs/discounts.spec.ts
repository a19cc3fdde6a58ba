import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom, loggedIn } from '../../../support/web.js';

type Method = 'get' | 'post' | 'delete';

forEachDatabase('discounts: REST API and the extra charges page', (dialect) => {
  let plugin: TestPlugin;
  let billing: string;
  let readonly: string;
  let accountId: number;
  let serviceId: number;

  async function call(method: Method, path: string, token: string | null, body?: unknown) {
    let r = request(plugin.app)[method](path);
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    const res = body === undefined ? await r : await r.send(body as object);
    return expectValidResponse(res);
  }

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', schedule: { enabled: false } } } });
    (plugin.clock as ManualClock).set('2026-03-01T09:00:00Z');
    billing = (await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test')).token;
    readonly = (await plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test')).token;
    await plugin.services.tariffs.catalogue.create({ code: 'HOME', name: 'Home', currency: 'EUR', recurringFee: '31.00', usage: { direction: 'both', unit: 'GB', includedUnits: '100' } }, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Dora', currency: 'EUR' }, 'user:1');
    accountId = a.id;
    serviceId = (await subscribers.createService(a.id, { login: 'dora', tariff: 'HOME', startDate: '2026-03-01' }, 'user:1')).id;
  });
  after(async () => plugin?.close());

  it('adds, lists and removes a discount over REST; the value stays decimal text; every change is audited', async () => {
    const added = await call('post', `/api/v1/accounts/${accountId}/discounts`, billing, { serviceId, code: 'WELCOME', description: 'Three months half price', appliesTo: 'recurring_fee', percent: '50', periods: 3 });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    expect(added.body).to.deep.include({ serviceId, code: 'WELCOME', appliesTo: 'recurring_fee', percent: '50', amount: null, fromDate: null, untilDate: null, periods: 3, status: 'active' });
    const list = await call('get', `/api/v1/accounts/${accountId}/discounts`, readonly);
    expect(list.body.items.map((d: { code: string }) => d.code)).to.deep.equal(['WELCOME']);
    const removed = await call('delete', `/api/v1/discounts/${added.body.id}`, billing);
    expect(removed.body.status).to.equal('removed');
    expect((await call('delete', `/api/v1/discounts/${added.body.id}`, billing)).status).to.equal(409);
    expect((await call('get', `/api/v1/accounts/${accountId}/discounts`, readonly)).body.items).to.deep.equal([]);
    expect((await call('get', `/api/v1/accounts/${accountId}/discounts?includeRemoved=true`, readonly)).body.items).to.have.length(1);
    const audit = await plugin.ctx.db.sequelize.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'discount.%' ORDER BY id", { type: QueryTypes.SELECT });
    expect(audit.map((r) => r.action)).to.deep.equal(['discount.add', 'discount.remove']);
  });

  it('refuses bad discounts with the field named (422) and records nothing; readonly tokens may not add (403)', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ serviceId, code: 'X', appliesTo: 'usage' }, 'percent'],
      [{ serviceId, code: 'X', appliesTo: 'usage', percent: '120' }, 'percent'],
      [{ serviceId, code: 'X', appliesTo: 'all', amount: '5.00' }, 'appliesTo'],
      [{ code: 'X', appliesTo: 'recurring_fee', amount: '5.00' }, 'amount'],
      [{ serviceId, code: 'X', appliesTo: 'usage', percent: '10', fromDate: '2026-05-01', untilDate: '2026-04-01' }, 'untilDate'],
      [{ serviceId: 999999, code: 'X', appliesTo: 'usage', percent: '10' }, 'serviceId'],
    ];
    for (const [body, field] of cases) {
      const res = await call('post', `/api/v1/accounts/${accountId}/discounts`, billing, body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(JSON.stringify(res.body), JSON.stringify(body)).to.contain(field);
    }
    expect((await call('post', `/api/v1/accounts/${accountId}/discounts`, readonly, { code: 'X', appliesTo: 'usage', percent: '10' })).status).to.equal(403);
    expect((await call('post', '/api/v1/accounts/999999/discounts', billing, { code: 'X', appliesTo: 'usage', percent: '10' })).status).to.equal(404);
    expect((await call('get', `/api/v1/accounts/${accountId}/discounts`, readonly)).body.items).to.deep.equal([]);
  });

  it('refuses a second discount of the same charges on overlapping dates, and takes one that follows it', async () => {
    expect((await call('post', `/api/v1/accounts/${accountId}/discounts`, billing, { serviceId, code: 'SPRING', appliesTo: 'recurring_fee', percent: '20', untilDate: '2026-06-01' })).status).to.equal(201);
    const clash = await call('post', `/api/v1/accounts/${accountId}/discounts`, billing, { code: 'STAFF', appliesTo: 'all', percent: '10', fromDate: '2026-05-01' });
    expect(clash.status).to.equal(422);
    expect(JSON.stringify(clash.body)).to.contain('overlaps discount SPRING');
    expect((await call('post', `/api/v1/accounts/${accountId}/discounts`, billing, { code: 'STAFF', appliesTo: 'all', percent: '10', fromDate: '2026-06-01' })).status).to.equal(201);
  });

  it('the extra charges page lists the discounts and lets billing staff add one (CSRF), naming a bad field beside it', async () => {
    const browser = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    const page = await browser.get(`/tariffs/charges?account=${accountId}`).expect(200);
    expect(page.text).to.contain('SPRING').and.contain('20%');
    const csrf = csrfFrom(page.text);
    await browser.post(`/tariffs/discounts?account=${accountId}`).type('form').send({ serviceId: String(serviceId), code: 'USAGE10', appliesTo: 'usage', percent: '10' }).expect(403);
    const bad = await browser.post(`/tariffs/discounts?account=${accountId}`).type('form').send({ _csrf: csrf, serviceId: String(serviceId), code: 'USAGE10', appliesTo: 'usage', percent: 'ten' }).expect(422);
    expect(bad.text).to.contain('Percent must be a decimal number');
    await browser.post(`/tariffs/discounts?account=${accountId}`).type('form').send({ _csrf: csrf, serviceId: String(serviceId), code: 'USAGE10', appliesTo: 'usage', percent: '10', untilDate: '2026-06-01' }).expect(303);
    const after = await browser.get(`/tariffs/charges?account=${accountId}`).expect(200);
    expect(after.text).to.contain('USAGE10');
    const readonlyBrowser = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const seen = await readonlyBrowser.get(`/tariffs/charges?account=${accountId}`).expect(200);
    expect(seen.text).to.contain('USAGE10').and.not.contain('Add a discount');
  });
});
