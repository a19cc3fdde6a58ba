import { expect } from 'chai';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../support/web.js';

/** The account page's history rows as text, one string per row, tags dropped and spaces collapsed. */
function historyRows(page: string): string[] {
  const table = /<table id="history"[^>]*>[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)![1]!;
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
    m[1]!.replace(/<[^>]+>/g, ' ').replace(/&#34;/g, '"').replace(/&gt;/g, '>').replace(/\s+/g, ' ').trim(),
  );
}

forEachDatabase('account, service, import and unclaimed-login pages', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let readonly: Browser;
  let parts: ReturnType<typeof buildSubscribers>;
  let accountId: number;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'UTC' } } });
    // The catalogue's tariffs: services take only these, and a claimed login's router profile too.
    for (const code of ['home-100', 'home-200', 'p1']) await plugin.services.tariffs.catalogue.create({ code, name: code, currency: 'EUR', recurringFee: '10.00' }, 'test');
    parts = plugin.services.subscribers;
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const a = await parts.subscribers.createAccount({ name: 'Existing Customer', externalId: 'EX-1', email: 'existing@example.net' }, 'test');
    await parts.subscribers.createService(a.id, { login: 'existing-login' }, 'test');
    accountId = a.id;
  });
  after(async () => plugin?.close());

  describe('read-only staff', () => {
    it('see accounts and an account page without any form or edit link', async () => {
      const list = await readonly.get('/accounts').expect(200);
      expect(list.text).to.contain('Existing Customer');
      expect(list.text).not.to.contain('New account');
      const page = await readonly.get(`/accounts/${accountId}`).expect(200);
      expect(page.text).to.contain('existing-login');
      expect(page.text).not.to.contain('Edit account');
      expect(page.text).not.to.contain('Add service');
      expect(page.text).not.to.contain('/services/');
    });

    it('are refused every change with 403, even with a valid CSRF token', async () => {
      const _csrf = await csrfOf(readonly, '/accounts');
      await readonly.post('/accounts').type('form').send({ _csrf, name: 'Sneaky' }).expect(403);
      await readonly.post(`/accounts/${accountId}`).type('form').send({ _csrf, name: 'Renamed' }).expect(403);
      await readonly.post(`/accounts/${accountId}/services`).type('form').send({ _csrf, login: 'x' }).expect(403);
      await readonly.post('/inventory/unclaimed/claim').type('form').send({ _csrf, logins: 'x' }).expect(403);
      await readonly.get('/import/accounts').expect(403);
      expect((await parts.subscribers.getAccount(accountId)).name).to.equal('Existing Customer');
    });
  });

  describe('billing staff', () => {
    it('are refused a form post without the CSRF token', async () => {
      await billing.post('/accounts').type('form').send({ name: 'No Token' }).expect(403);
    });

    it('get the form back with their input and each error beside its field', async () => {
      const _csrf = await csrfOf(billing, '/accounts/new');
      const res = await billing.post('/accounts').type('form').send({ _csrf, name: '', email: 'not-an-address', city: 'Kept City', country: 'Deutschland' }).expect(422);
      expect(res.text).to.contain('value="Kept City"');
      expect(res.text).to.contain('value="not-an-address"');
      expect(res.text).to.match(/id="name-error">Name is required</);
      expect(res.text).to.match(/id="email-error">E-mail is not an e-mail address/);
      expect(res.text).to.match(/id="country-error">Country must be a two-letter ISO 3166 country code/);
    });

    it('create an account, land on its page, and are named in its history', async () => {
      const _csrf = await csrfOf(billing, '/accounts/new');
      const res = await billing.post('/accounts').type('form').send({ _csrf, name: 'Form Made', email: 'form@example.net', taxExempt: 'on', taxExemptReason: 'Charity no. 1234' }).expect(303);
      const page = await billing.get(res.headers.location!).expect(200);
      expect(page.text).to.contain('Form Made');
      expect(page.text).to.contain('exempt: Charity no. 1234');
      expect(historyRows(page.text)[0]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC billing person Created the account Name: Form Made E-mail: form@example\.net Exemption reason: Charity no\. 1234 Tax exempt: yes/);
    });

    it('see a duplicate login named beside the login field', async () => {
      const _csrf = await csrfOf(billing, `/accounts/${accountId}/services/new`);
      const res = await billing.post(`/accounts/${accountId}/services`).type('form').send({ _csrf, login: 'existing-login', startDate: '2026-03-01', status: 'active' }).expect(422);
      expect(res.text).to.match(/id="login-error">Login &#34;existing-login&#34; is already used by a live service/);
      expect(res.text).to.contain('value="existing-login"');
    });

    it('find accounts by search and page through them', async () => {
      for (let i = 0; i < 52; i++) await parts.subscribers.createAccount({ name: `Paged ${String(i).padStart(2, '0')}` }, 'test');
      const first = await billing.get('/accounts?q=Paged').expect(200);
      expect(first.text).to.contain('Paged 00');
      expect(first.text).not.to.contain('Paged 50');
      const next = /href="([^"]+)" rel="next"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
      const second = await billing.get(next).expect(200);
      expect(second.text).to.contain('Paged 50');
      expect(second.text).to.contain('Paged 51');
      expect(second.text).not.to.contain('rel="next"');
    });
  });

  describe('account page history', () => {
    it('reads the history of an account and all its services in one audit query, newest first', async () => {
      const a = await parts.subscribers.createAccount({ name: 'Many Services' }, 'test');
      const services = [];
      for (let i = 1; i <= 4; i++) services.push(await parts.subscribers.createService(a.id, { login: `hist-${i}` }, `user:${i}`));
      await parts.subscribers.updateService(services[1]!.id, { tariff: 'home-200' }, 'user:9');
      await parts.subscribers.createAccount({ name: 'Someone Else' }, 'user:99');
      const auditQueries: string[] = [];
      const sequelize = plugin.ctx.db.sequelize;
      sequelize.addHook('afterQuery', 'count-audit-queries', (_options, query) => {
        const sql = (query as unknown as { sql?: string }).sql ?? '';
        if (/\baudit_log\b/.test(sql) && /^\s*SELECT/i.test(sql)) auditQueries.push(sql);
      });
      let page: string;
      try {
        page = (await readonly.get(`/accounts/${a.id}`).expect(200)).text;
      } finally {
        sequelize.removeHook('afterQuery', 'count-audit-queries');
      }
      expect(auditQueries).to.have.length(1);
      const rows = historyRows(page).map((r) => r.replace(/^\S+ \S+ UTC /, ''));
      expect(rows).to.deep.equal([
        'staff member #9 (no longer exists) Changed service hist-2 Tariff: (empty) → home-200',
        'staff member #4 (no longer exists) Added service hist-4 Start date: 2026-03-01 Status: active',
        'staff member #3 (no longer exists) Added service hist-3 Start date: 2026-03-01 Status: active',
        'readonly person Added service hist-2 Start date: 2026-03-01 Status: active',
        'billing person Added service hist-1 Start date: 2026-03-01 Status: active',
        'test Created the account Name: Many Services Currency: EUR Status: active Tax exempt: no',
      ]);
    });

    it('says in words what changed, old → new, and who did it, by name', async () => {
      const { info } = await plugin.ctx.services.auth.createApiToken({ name: 'crm sync', role: 'billing' }, 'test');
      const a = await parts.subscribers.createAccount({ name: 'Worded History', email: 'old@example.net' }, `token:${info.id}`);
      const _csrf = await csrfOf(billing, `/accounts/${a.id}/edit`);
      await billing.post(`/accounts/${a.id}`).type('form').send({ _csrf, name: 'Worded History', email: 'new@example.net', city: 'Köln' }).expect(303);
      const page = (await readonly.get(`/accounts/${a.id}`).expect(200)).text;
      const rows = historyRows(page).map((r) => r.replace(/^\S+ \S+ UTC /, ''));
      expect(rows[0]).to.equal('billing person Changed the account E-mail: old@example.net → new@example.net City: (empty) → Köln');
      expect(rows[1]).to.equal('API token “crm sync” Created the account Name: Worded History E-mail: old@example.net Currency: EUR Status: active Tax exempt: no');
      const history = /<table id="history"[\s\S]*?<\/table>/.exec(page)![0];
      expect(history).not.to.match(/user:\d|token:\d|[{}]/);
    });
  });

  describe('import page', () => {
    const file = (text: string) => Buffer.from(text, 'utf8');

    it('refuses an upload without the CSRF token in the form', async () => {
      await billing.post('/import/accounts/preview').attach('file', file('external_id,name\nI-0,Nobody\n'), 'a.csv').expect(403);
      expect(await plugin.ctx.models.Account.count({ where: { externalId: 'I-0' } })).to.equal(0);
    });

    it('previews an upload, writes nothing until confirmed, then imports it', async () => {
      const _csrf = await csrfOf(billing, '/import/accounts');
      const preview = await billing
        .post('/import/accounts/preview')
        .field('_csrf', _csrf)
        .attach('file', file('external_id;name;login\nI-1;Imported One;imp-1\nEX-1;Existing Customer;existing-login\n'), 'subs.csv')
        .expect(200);
      expect(preview.text).to.contain('Would create 1 account(s) and update 0 (1 unchanged)');
      expect(preview.text).to.contain('semicolon separated');
      expect(await plugin.ctx.models.Account.count({ where: { externalId: 'I-1' } })).to.equal(0);
      const token = /name="token" value="([^"]+)"/.exec(preview.text)![1]!;
      const done = await billing.post('/import/accounts/confirm').type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(preview.text)![1], token }).expect(200);
      expect(done.text).to.contain('Imported: 1 account(s) created');
      expect(await plugin.ctx.models.Account.count({ where: { externalId: 'I-1' } })).to.equal(1);
      // The upload is used up.
      await billing.post('/import/accounts/confirm').type('form').send({ _csrf, token }).expect(410);
    });

    it('lists each bad line with its number and offers no confirmation', async () => {
      const _csrf = await csrfOf(billing, '/import/accounts');
      const res = await billing
        .post('/import/accounts/preview')
        .field('_csrf', _csrf)
        .attach('file', file('external_id,name,start_date,login\nB-1,Bad Date,2026-02-31,bd\nB-2,,2026-01-01,bd2\n'), 'bad.csv')
        .expect(422);
      expect(res.text).to.match(/<td>2<\/td><td>start_date<\/td><td class="error">2026-02-31 is not a calendar date<\/td>/);
      expect(res.text).to.match(/<td>3<\/td><td>name<\/td><td class="error">is required<\/td>/);
      expect(res.text).not.to.contain('Confirm import');
    });

    it('names the line and byte of a file that is not UTF-8', async () => {
      const _csrf = await csrfOf(billing, '/import/accounts');
      const latin1 = Buffer.concat([Buffer.from('external_id,name\nL-1,M'), Buffer.from([0xfc]), Buffer.from('ller\n')]);
      const res = await billing.post('/import/accounts/preview').field('_csrf', _csrf).attach('file', latin1, 'latin1.csv').expect(422);
      expect(res.text).to.contain('the file is not UTF-8: byte 23 of the file');
    });
  });

  describe('unclaimed logins page', () => {
    it('creates an account and a service for each ticked login', async () => {
      const { info: agent } = await (await import('../../../../plugin/ingest/index.js')).buildIngest(plugin.ctx).agents.create('pop-pages', 'test');
      await (await import('../../../../plugin/ingest/index.js')).buildIngest(plugin.ctx).inventory.store(agent, {
        routerName: 'rtr-9',
        takenAt: '2026-02-28T00:00:00Z',
        entries: [{ kind: 'ppp', name: 'from-router', profile: 'p1', disabled: false, comment: 'Router Person' }],
      });
      const page = await billing.get('/inventory/unclaimed').expect(200);
      expect(page.text).to.contain('from-router');
      const ro = await readonly.get('/inventory/unclaimed').expect(200);
      expect(ro.text).to.contain('from-router');
      expect(ro.text).not.to.contain('type="checkbox"');
      const _csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      const res = await billing.post('/inventory/unclaimed/claim').type('form').send({ _csrf, logins: 'from-router' }).expect(200);
      expect(res.text).to.contain('Router Person');
      expect(res.text).to.contain('Every login seen is claimed by a service.');
      const svc = (await parts.subscribers.listServices({ login: 'from-router' }, 5)).items[0]!;
      expect(svc).to.include({ nasName: 'rtr-9', tariff: 'p1' });
    });
  });
});
