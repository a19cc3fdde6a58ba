import { expect } from 'chai';
import request from 'supertest';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

type Method = 'get' | 'post' | 'patch';

forEachDatabase('accounts and services REST API', (dialect) => {
  let plugin: TestPlugin;
  let billing: string;
  let readonly: string;
  let billingTokenId: number;

  /** Every response these specs receive is checked against plugin/api/openapi.yaml. */
  async function call(method: Method, path: string, token: string | null, body?: unknown) {
    let r = request(plugin.app)[method](path);
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    const res = body === undefined ? await r : await r.send(body as object);
    return expectValidResponse(res);
  }

  async function newAccount(fields: Record<string, unknown>) {
    const res = await call('post', '/api/v1/accounts', billing, fields);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: number; name: string };
  }

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    const b = await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test');
    billing = b.token;
    billingTokenId = b.info.id;
    readonly = (await plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test')).token;
    // Services take tariffs of the catalogue only.
    for (const code of ['home-100', 'biz-500']) await plugin.services.tariffs.catalogue.create({ code, name: code, currency: 'EUR', recurringFee: '10.00' }, 'test');
  });
  after(async () => plugin?.close());

  it('answers 401 to a request without a token', async () => {
    const res = await call('get', '/api/v1/accounts', null);
    expect(res.status).to.equal(401);
    expect(res.body.error.message).to.contain('bearer token');
  });

  it('describes the calling token at /me', async () => {
    const res = await call('get', '/api/v1/me', readonly);
    expect(res.status).to.equal(200);
    expect(res.body.token).to.include({ name: 'reports', role: 'readonly' });
  });

  it('creates an account with the plugin currency as default and records who did it', async () => {
    const res = await call('post', '/api/v1/accounts', billing, { name: ' Ada Lovelace ', email: 'ada@example.net', externalId: 'CRM-1', country: 'gb' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ name: 'Ada Lovelace', email: 'ada@example.net', externalId: 'CRM-1', country: 'GB', currency: 'EUR', status: 'active', taxExempt: false });
    expect(res.headers.location).to.equal(`/api/v1/accounts/${res.body.id}`);
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'account', entityId: String(res.body.id) });
    expect(audit.map((a) => [a.action, a.actor])).to.deep.equal([['account.create', `token:${billingTokenId}`]]);
  });

  it('answers 422 naming every bad field and why', async () => {
    const res = await call('post', '/api/v1/accounts', billing, { name: '', email: 'not-mail', country: 'Germany', currency: 'euro', status: 'gone', colour: 'red', taxExempt: 'maybe' });
    expect(res.status).to.equal(422);
    const issues = res.body.error.issues as Array<{ field: string; message: string }>;
    expect(issues.map((i) => i.field).sort()).to.deep.equal(['colour', 'country', 'currency', 'email', 'name', 'status', 'taxExempt']);
    expect(issues.find((i) => i.field === 'name')!.message).to.equal('is required');
    expect(issues.find((i) => i.field === 'email')!.message).to.contain('e-mail address');
  });

  it('answers 403 to a readonly token on every write, and lets it read', async () => {
    const a = await newAccount({ name: 'Read Only Target' });
    expect((await call('post', '/api/v1/accounts', readonly, { name: 'X' })).status).to.equal(403);
    expect((await call('patch', `/api/v1/accounts/${a.id}`, readonly, { name: 'Y' })).status).to.equal(403);
    expect((await call('post', `/api/v1/accounts/${a.id}/services`, readonly, { login: 'ro-1' })).status).to.equal(403);
    expect((await call('get', `/api/v1/accounts/${a.id}`, readonly)).body.name).to.equal('Read Only Target');
  });

  it('updates only the fields sent, clears a field given null, and audits the change from and to', async () => {
    const a = await newAccount({ name: 'Grace Hopper', phone: '+1 555 0100', city: 'Arlington' });
    const res = await call('patch', `/api/v1/accounts/${a.id}`, billing, { email: 'grace@example.net', phone: null });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ name: 'Grace Hopper', email: 'grace@example.net', phone: null, city: 'Arlington' });
    const [entry] = await plugin.ctx.repos.audit.list({ entityType: 'account', entityId: String(a.id), limit: 1 });
    expect(entry!.action).to.equal('account.update');
    expect(entry!.details).to.deep.equal({ changes: { email: { from: null, to: 'grace@example.net' }, phone: { from: '+1 555 0100', to: null } } });
  });

  it('answers 409 naming the external id when another account has it', async () => {
    await newAccount({ name: 'First', externalId: 'DUP-1' });
    const res = await call('post', '/api/v1/accounts', billing, { name: 'Second', externalId: 'DUP-1' });
    expect(res.status).to.equal(409);
    expect(res.body.error.issues).to.deep.equal([{ field: 'externalId', message: '"DUP-1" is already used by another account' }]);
  });

  it('answers 404 for an account that does not exist', async () => {
    expect((await call('get', '/api/v1/accounts/999999', readonly)).status).to.equal(404);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await request(plugin.app).post('/api/v1/accounts').set('Authorization', `Bearer ${billing}`).set('Content-Type', 'application/json').send('{"name": ');
    expectValidResponse(res);
    expect(res.status).to.equal(400);
  });

  describe('services', () => {
    it('adds a service with today (ISP time zone) as start date', async () => {
      (plugin.clock as ManualClock).set('2026-03-31T23:30:00Z'); // already April 1st in Berlin
      const a = await newAccount({ name: 'Service Holder' });
      const res = await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'holder@pppoe', tariff: 'home-100', nasName: 'bras-1' });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ accountId: a.id, login: 'holder@pppoe', tariff: 'home-100', nasName: 'bras-1', status: 'active', startDate: '2026-04-01', endDate: null });
    });

    it('refuses a login that a live service already has, naming the login', async () => {
      const a = await newAccount({ name: 'Login One' });
      const b = await newAccount({ name: 'Login Two' });
      const first = await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'shared-login' });
      const res = await call('post', `/api/v1/accounts/${b.id}/services`, billing, { login: 'shared-login' });
      expect(res.status).to.equal(409);
      expect(res.body.error.issues[0]).to.deep.equal({ field: 'login', message: `"shared-login" is already used by a live service (service #${first.body.id} of account #${a.id})` });
    });

    it('frees the login when the service ends, so another account can take it', async () => {
      const a = await newAccount({ name: 'Leaver' });
      const b = await newAccount({ name: 'Newcomer' });
      const s = await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'recycled', startDate: '2026-01-01' });
      const ended = await call('post', `/api/v1/services/${s.body.id}/end`, billing, { endDate: '2026-02-28' });
      expect(ended.status).to.equal(200);
      expect(ended.body).to.include({ status: 'ended', endDate: '2026-02-28' });
      const again = await call('post', `/api/v1/accounts/${b.id}/services`, billing, { login: 'recycled' });
      expect(again.status).to.equal(201);
      const all = await call('get', '/api/v1/services?login=recycled', readonly);
      expect(all.body.items.map((x: { accountId: number; status: string }) => [x.accountId, x.status])).to.deep.equal([[a.id, 'ended'], [b.id, 'active']]);
    });

    it('refuses to end a service before it started, or twice', async () => {
      const a = await newAccount({ name: 'Ender' });
      const s = await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'ender-1', startDate: '2026-02-01' });
      const early = await call('post', `/api/v1/services/${s.body.id}/end`, billing, { endDate: '2026-01-31' });
      expect(early.status).to.equal(422);
      expect(early.body.error.issues).to.deep.equal([{ field: 'endDate', message: 'must not be before the start date 2026-02-01' }]);
      expect((await call('post', `/api/v1/services/${s.body.id}/end`, billing, { endDate: '2026-02-10' })).status).to.equal(200);
      expect((await call('post', `/api/v1/services/${s.body.id}/end`, billing, {})).status).to.equal(409);
      expect((await call('patch', `/api/v1/services/${s.body.id}`, billing, { tariff: 'x' })).status).to.equal(409);
    });

    it('changes a service and names bad fields', async () => {
      const a = await newAccount({ name: 'Changer' });
      const s = await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'changer-1' });
      const bad = await call('patch', `/api/v1/services/${s.body.id}`, billing, { startDate: '2026-02-30', status: 'ended', login: '' });
      expect(bad.status).to.equal(422);
      expect(bad.body.error.issues.map((i: { field: string }) => i.field).sort()).to.deep.equal(['login', 'startDate', 'status']);
      const ok = await call('patch', `/api/v1/services/${s.body.id}`, billing, { status: 'suspended', tariff: 'biz-500' });
      expect(ok.body).to.include({ status: 'suspended', tariff: 'biz-500', login: 'changer-1' });
      const audit = await plugin.ctx.repos.audit.list({ entityType: 'service', entityId: String(s.body.id) });
      expect(audit.map((x) => x.action)).to.deep.equal(['service.update', 'service.create']);
    });

    it('will not close an account that still has live services', async () => {
      const a = await newAccount({ name: 'Closer' });
      await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'closer-1' });
      const res = await call('patch', `/api/v1/accounts/${a.id}`, billing, { status: 'closed' });
      expect(res.status).to.equal(422);
      expect(res.body.error.issues[0].field).to.equal('status');
      expect(res.body.error.issues[0].message).to.contain('closer-1');
    });

    it('lists an account\'s services, ended ones included', async () => {
      const a = await newAccount({ name: 'Two Services' });
      await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'two-1' });
      await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: 'two-2', nasName: 'bras-9' });
      const res = await call('get', `/api/v1/accounts/${a.id}/services`, readonly);
      expect(res.body.items.map((s: { login: string }) => s.login)).to.deep.equal(['two-1', 'two-2']);
      const byNas = await call('get', '/api/v1/services?nasName=bras-9', readonly);
      expect(byNas.body.items.map((s: { login: string }) => s.login)).to.deep.equal(['two-2']);
    });

    it('pages through an account\'s services with limit and cursor, oldest first, each once', async () => {
      const a = await newAccount({ name: 'Five Services' });
      const other = await newAccount({ name: 'Neighbour' });
      for (let i = 1; i <= 5; i++) await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: `five-${i}` });
      await call('post', `/api/v1/accounts/${other.id}/services`, billing, { login: 'not-five' });
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const res = await call('get', `/api/v1/accounts/${a.id}/services?limit=2${cursor ? `&cursor=${cursor}` : ''}`, readonly);
        expect(res.status).to.equal(200);
        pages.push(res.body.items.map((s: { login: string }) => s.login));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(pages).to.deep.equal([['five-1', 'five-2'], ['five-3', 'five-4'], ['five-5']]);
    });

    it('gives an account\'s services 50 at a time without a limit, with the cursor of the rest', async () => {
      const a = await newAccount({ name: 'Fifty-One Services' });
      for (let i = 1; i <= 51; i++) await call('post', `/api/v1/accounts/${a.id}/services`, billing, { login: `many-${i}` });
      const first = await call('get', `/api/v1/accounts/${a.id}/services`, readonly);
      expect(first.body.items).to.have.length(50);
      expect(first.body.nextCursor).to.be.a('string');
      const rest = await call('get', `/api/v1/accounts/${a.id}/services?cursor=${first.body.nextCursor}`, readonly);
      expect(rest.body.items.map((s: { login: string }) => s.login)).to.deep.equal(['many-51']);
      expect(rest.body.nextCursor).to.equal(null);
    });

    it('answers 422 to a bad limit or cursor for an account\'s services, and 404 to an unknown account', async () => {
      const a = await newAccount({ name: 'Bad Paging' });
      const res = await call('get', `/api/v1/accounts/${a.id}/services?limit=0&cursor=garbage`, readonly);
      expect(res.status).to.equal(422);
      expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.include('limit');
      const badCursor = await call('get', `/api/v1/accounts/${a.id}/services?cursor=garbage`, readonly);
      expect(badCursor.status).to.equal(422);
      expect(badCursor.body.error.issues).to.deep.equal([{ field: 'cursor', message: 'is not a cursor from a previous page' }]);
      expect((await call('get', '/api/v1/accounts/999999/services', readonly)).status).to.equal(404);
    });
  });

  describe('search and pagination', () => {
    let ids: Record<string, number>;
    before(async () => {
      ids = {};
      for (const [name, extra] of [
        ['Zed Zimmermann', { email: 'zed@zimmer.example', externalId: 'Z-100' }],
        ['zora zimmer', { email: 'Zora@Zimmer.example' }],
        ['Zack 100% Zeal', {}],
      ] as const) {
        ids[name] = (await newAccount({ name, ...extra })).id;
      }
      await call('post', `/api/v1/accounts/${ids['Zack 100% Zeal']}/services`, billing, { login: 'zeal_ppp' });
    });

    const names = (res: { body: { items: Array<{ name: string }> } }) => res.body.items.map((a) => a.name);

    it('finds accounts by part of the name, ignoring case', async () => {
      expect(names(await call('get', '/api/v1/accounts?q=ZIMMER', readonly))).to.deep.equal(['Zed Zimmermann', 'zora zimmer']);
      expect(names(await call('get', '/api/v1/accounts?name=mermann', readonly))).to.deep.equal(['Zed Zimmermann']);
    });

    it('finds accounts by e-mail prefix, external id and service login', async () => {
      expect(names(await call('get', '/api/v1/accounts?q=zora%40', readonly))).to.deep.equal(['zora zimmer']);
      expect(names(await call('get', '/api/v1/accounts?q=Z-100', readonly))).to.deep.equal(['Zed Zimmermann']);
      expect(names(await call('get', '/api/v1/accounts?externalId=Z-100', readonly))).to.deep.equal(['Zed Zimmermann']);
      expect(names(await call('get', '/api/v1/accounts?login=zeal', readonly))).to.deep.equal(['Zack 100% Zeal']);
    });

    it('treats % and _ in a search as plain characters', async () => {
      expect(names(await call('get', '/api/v1/accounts?q=100%25', readonly))).to.deep.equal(['Zack 100% Zeal']);
      expect(names(await call('get', '/api/v1/accounts?login=zeal_', readonly))).to.deep.equal(['Zack 100% Zeal']);
      expect(names(await call('get', '/api/v1/accounts?login=zeal%25', readonly))).to.deep.equal([]);
    });

    it('pages through every account once, in name order, with a cursor', async () => {
      for (let i = 0; i < 7; i++) await newAccount({ name: `Page Person ${String.fromCharCode(71 - i)}`, city: 'Pagetown' });
      await newAccount({ name: 'Page Person D' }); // same name as another: the id breaks the tie
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await call('get', `/api/v1/accounts?q=Page%20Person&limit=3${cursor ? `&cursor=${cursor}` : ''}`, readonly);
        expect(res.status).to.equal(200);
        seen.push(...(res.body.items as Array<{ name: string; id: number }>).map((a) => `${a.name}#${a.id}`));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).to.equal(3);
      expect(seen).to.have.length(8);
      expect(new Set(seen).size).to.equal(8);
      expect(seen.map((s) => s.split('#')[0])).to.deep.equal(['A', 'B', 'C', 'D', 'D', 'E', 'F', 'G'].map((c) => `Page Person ${c}`));
    });

    it('answers 422 to a bad limit or status, naming both', async () => {
      const res = await call('get', '/api/v1/accounts?limit=1000&status=happy', readonly);
      expect(res.status).to.equal(422);
      expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['status', 'limit']);
    });

    it('answers 422 to a cursor it did not hand out', async () => {
      const res = await call('get', '/api/v1/accounts?cursor=garbage', readonly);
      expect(res.status).to.equal(422);
      expect(res.body.error.issues).to.deep.equal([{ field: 'cursor', message: 'is not a cursor from a previous page' }]);
    });
  });
});
