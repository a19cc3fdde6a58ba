import { expect } from 'chai';
import request from 'supertest';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { buildIngest } from '../../../../plugin/ingest/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../support/web.js';

type Method = 'get' | 'post' | 'patch';

/** Services' tariffs over time, and the catalogue check, through the API, the pages, the import and unclaimed logins. */
forEachDatabase('service tariff history and tariff checks', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let token: string;
  let staff: Browser;

  async function call(method: Method, path: string, body?: unknown) {
    const r = request(plugin.app)[method](path).set('Authorization', `Bearer ${token}`);
    return expectValidResponse(body === undefined ? await r : await r.send(body as object));
  }
  const history = async (serviceId: number) => (await plugin.services.subscribers.billing.services([(await plugin.services.subscribers.subscribers.getService(serviceId)).accountId])).get(
    (await plugin.services.subscribers.subscribers.getService(serviceId)).accountId,
  )!.find((s) => s.id === serviceId)!.tariffs.map((t) => [t.code, new Date(t.fromMs).toISOString()]);

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } as never } });
    clock = plugin.clock as ManualClock;
    const { catalogue } = plugin.services.tariffs;
    for (const code of ['home-100', 'home-200', 'biz-500', 'old-plan']) await catalogue.create({ code, name: code, currency: 'EUR', recurringFee: '10.00' }, 'test');
    await catalogue.archive('old-plan', 'test');
    token = (await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test')).token;
    staff = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
  });
  after(async () => plugin?.close());

  describe('through the REST API', () => {
    it('starts the history at local midnight of the start date, and a change from tariffFrom', async () => {
      const a = (await call('post', '/api/v1/accounts', { name: 'History API' })).body as { id: number };
      const s = await call('post', `/api/v1/accounts/${a.id}/services`, { login: 'hist-api', tariff: 'home-100', startDate: '2026-02-01' });
      expect(s.status).to.equal(201);
      const changed = await call('patch', `/api/v1/services/${s.body.id}`, { tariff: 'biz-500', tariffFrom: '2026-02-15T12:00:00+01:00' });
      expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
      expect(changed.body.tariff).to.equal('biz-500');
      const listed = await call('get', `/api/v1/services/${s.body.id}/tariffs`);
      expect(listed.body).to.deep.equal({
        items: [
          { tariff: 'home-100', from: '2026-01-31T23:00:00.000Z' },
          { tariff: 'biz-500', from: '2026-02-15T11:00:00.000Z' },
        ],
      });
    });

    it('answers 422 on the tariff field with the catalogue reason, and on tariffFrom before the latest entry, changing nothing', async () => {
      const a = (await call('post', '/api/v1/accounts', { name: 'History API 2' })).body as { id: number };
      const unknown = await call('post', `/api/v1/accounts/${a.id}/services`, { login: 'hist-api-2', tariff: 'gold' });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.error.issues).to.have.length(1);
      expect(unknown.body.error.issues[0].field).to.equal('tariff');
      expect(unknown.body.error.issues[0].message).to.contain('gold');
      const s = await call('post', `/api/v1/accounts/${a.id}/services`, { login: 'hist-api-2', tariff: 'home-100', startDate: '2026-02-01' });
      const archived = await call('patch', `/api/v1/services/${s.body.id}`, { tariff: 'old-plan' });
      expect(archived.status).to.equal(422);
      expect(archived.body.error.issues[0]).to.include({ field: 'tariff' });
      expect(archived.body.error.issues[0].message).to.contain('archived');
      const early = await call('patch', `/api/v1/services/${s.body.id}`, { tariff: 'home-200', tariffFrom: '2026-01-15' });
      expect(early.status).to.equal(422);
      expect(early.body.error.issues[0].field).to.equal('tariffFrom');
      expect((await call('get', `/api/v1/services/${s.body.id}`)).body.tariff).to.equal('home-100');
      expect(await history(s.body.id)).to.deep.equal([['home-100', '2026-01-31T23:00:00.000Z']]);
    });
  });

  describe('through the pages', () => {
    it('adds a service with its history, changes its tariff from a date, and shows the history on its form', async () => {
      const a = await plugin.services.subscribers.subscribers.createAccount({ name: 'History Page' }, 'test');
      let _csrf = await csrfOf(staff, `/accounts/${a.id}/services/new`);
      const bad = await staff.post(`/accounts/${a.id}/services`).type('form').send({ _csrf, login: 'hist-page', tariff: 'old-plan', startDate: '2026-03-01', status: 'active' }).expect(422);
      expect(bad.text).to.contain('archived');
      await staff.post(`/accounts/${a.id}/services`).type('form').send({ _csrf, login: 'hist-page', tariff: 'home-100', startDate: '2026-03-01', status: 'active' }).expect(303);
      const s = (await plugin.services.subscribers.subscribers.listServices({ login: 'hist-page' }, 1)).items[0]!;
      _csrf = await csrfOf(staff, `/services/${s.id}/edit`);
      const wrongDate = await staff.post(`/services/${s.id}`).type('form').send({ _csrf, login: 'hist-page', tariff: 'home-200', tariffFrom: 'soon', startDate: '2026-03-01', status: 'active' }).expect(422);
      expect(wrongDate.text).to.contain('Tariff change must be a date (YYYY-MM-DD, from midnight in Europe/Berlin)');
      await staff.post(`/services/${s.id}`).type('form').send({ _csrf, login: 'hist-page', tariff: 'home-200', tariffFrom: '2026-03-20', startDate: '2026-03-01', status: 'active' }).expect(303);
      expect(await history(s.id)).to.deep.equal([
        ['home-100', '2026-02-28T23:00:00.000Z'],
        ['home-200', '2026-03-19T23:00:00.000Z'],
      ]);
      const form = await staff.get(`/services/${s.id}/edit`).expect(200);
      expect(form.text).to.contain('Tariff history: home-100 from 2026-03-01 00:00 GMT+1; home-200 from 2026-03-20 00:00 GMT+1');
    });
  });

  describe('through the CSV import', () => {
    it('makes a bad tariff a row error in the preview and writes nothing; a good file writes the history', async () => {
      const { importer } = plugin.services.subscribers;
      const before = await plugin.ctx.models.Service.count();
      const bad = await importer.run(Buffer.from('external_id,name,login,tariff\nIMP-1,Imp,imp-1,home-100\nIMP-2,Imp Two,imp-2,gold\n'), { dryRun: true, actor: 'user:1', source: 't.csv' });
      expect(bad.errors.map((e) => [e.line, e.column])).to.deep.equal([[3, 'tariff']]);
      expect(bad.errors[0]!.message).to.contain('gold');
      const refused = await importer.run(Buffer.from('external_id,name,login,tariff\nIMP-1,Imp,imp-1,home-100\nIMP-2,Imp Two,imp-2,gold\n'), { dryRun: false, actor: 'user:1', source: 't.csv' });
      expect(refused.applied).to.equal(false);
      expect(await plugin.ctx.models.Service.count()).to.equal(before);

      const ok = await importer.run(Buffer.from('external_id,name,login,tariff,start_date\nIMP-1,Imp,imp-1,home-100,2026-01-01\n'), { dryRun: false, actor: 'user:1', source: 't.csv' });
      expect(ok.errors).to.deep.equal([]);
      const s = (await plugin.services.subscribers.subscribers.listServices({ login: 'imp-1' }, 1)).items[0]!;
      clock.set('2026-03-10T09:15:30Z');
      const change = await importer.run(Buffer.from('external_id,name,login,tariff\nIMP-1,Imp,imp-1,biz-500\n'), { dryRun: false, actor: 'user:1', source: 't.csv' });
      expect(change.errors).to.deep.equal([]);
      const dated = await importer.run(Buffer.from('external_id,name,login,tariff,tariff_from\nIMP-1,Imp,imp-1,home-200,2026-04-01\n'), { dryRun: false, actor: 'user:1', source: 't.csv' });
      expect(dated.errors).to.deep.equal([]);
      expect(await history(s.id)).to.deep.equal([
        ['home-100', '2025-12-31T23:00:00.000Z'],
        ['biz-500', '2026-03-10T09:15:30.000Z'],
        ['home-200', '2026-03-31T22:00:00.000Z'],
      ]);
      expect((await plugin.services.subscribers.subscribers.getService(s.id)).tariff).to.equal('home-200');
    });
  });

  describe('claiming unclaimed logins', () => {
    it('takes the router profile as tariff only when it is an assignable tariff, and notes the others in the audit', async () => {
      const ingest = buildIngest(plugin.ctx);
      const { info: agent } = await ingest.agents.create('pop-tariffs', 'test');
      await ingest.inventory.store(agent, {
        routerName: 'rtr-t',
        takenAt: '2026-03-10T00:00:00Z',
        entries: [
          { kind: 'ppp', name: 'claim-tariff', profile: 'home-100', disabled: false },
          { kind: 'ppp', name: 'claim-default', profile: 'default', disabled: false },
        ],
      });
      const results = await plugin.services.subscribers.unclaimed.claim(['claim-tariff', 'claim-default'], 'user:1');
      const byLogin = new Map(results.map((r) => [r.login, r.service]));
      expect(byLogin.get('claim-tariff')!.tariff).to.equal('home-100');
      expect(byLogin.get('claim-default')!.tariff).to.equal(null);
      expect(await history(byLogin.get('claim-default')!.id)).to.deep.equal([]);
      const audit = (await plugin.ctx.repos.audit.list({ entityType: 'service' })).find((e) => e.action === 'unclaimed.claim')!;
      const notes = (audit.details as { profilesNotUsedAsTariff: Array<{ login: string; profile: string; reason: string }> }).profilesNotUsedAsTariff;
      expect(notes.map((n) => [n.login, n.profile])).to.deep.equal([['claim-default', 'default']]);
      expect(notes[0]!.reason).to.contain('default');
    });
  });

  describe('account tax', () => {
    it('names a bad percent and a missing exemption reason beside their fields on the account form, and keeps good ones', async () => {
      const _csrf = await csrfOf(staff, '/accounts/new');
      const bad = await staff.post('/accounts').type('form').send({ _csrf, name: 'Taxed Form', taxPercent: '120', taxExempt: 'on' }).expect(422);
      expect(bad.text).to.contain('Tax percent must be below 100');
      expect(bad.text).to.contain('Reason for the exemption is required when the account is tax exempt: it is printed on the invoice');
      const ok = await staff.post('/accounts').type('form').send({ _csrf, name: 'Taxed Form', taxName: 'VAT', taxPercent: '7,5', paymentTermsDays: '14', billingEmail: 'ap@example.net' }).expect(303);
      const page = await staff.get(ok.headers.location!).expect(200);
      expect(page.text).to.contain('VAT 7.5%');
      expect(page.text).to.contain('14 days');
      expect(page.text).to.contain('ap@example.net');
    });

    it('requires an exemption reason, checks the percent, and keeps both', async () => {
      const noReason = await call('post', '/api/v1/accounts', { name: 'Exempt', taxExempt: true });
      expect(noReason.status).to.equal(422);
      expect(noReason.body.error.issues).to.deep.equal([{ field: 'taxExemptReason', message: 'is required when the account is tax exempt: it is printed on the invoice' }]);
      const a = await call('post', '/api/v1/accounts', { name: 'Exempt', taxExempt: true, taxExemptReason: 'Intra-EU reverse charge', paymentTermsDays: 30, billingEmail: 'ap@example.net' });
      expect(a.status).to.equal(201);
      expect(a.body).to.include({ taxExempt: true, taxExemptReason: 'Intra-EU reverse charge', taxName: null, taxPercent: null, paymentTermsDays: 30, billingEmail: 'ap@example.net' });
      const over = await call('patch', `/api/v1/accounts/${a.body.id}`, { taxPercent: '100' });
      expect(over.status).to.equal(422);
      expect(over.body.error.issues).to.deep.equal([{ field: 'taxPercent', message: 'must be below 100' }]);
      const unexempt = await call('patch', `/api/v1/accounts/${a.body.id}`, { taxExempt: false, taxName: 'MwSt', taxPercent: '7,50' });
      expect(unexempt.body).to.include({ taxExempt: false, taxName: 'MwSt', taxPercent: '7.5' });
      const profile = (await plugin.services.subscribers.billing.profiles([a.body.id])).get(a.body.id)!;
      expect(profile.tax).to.deep.equal({ kind: 'rate', name: 'MwSt', percent: '7.5' });
      expect(profile).to.include({ billingEmail: 'ap@example.net', paymentTermsDays: 30 });
    });
  });
});
