import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { hostSyncPorts } from '../../../../plugin/host/ports.js';
import { HostSyncRepository } from '../../../../plugin/host/sync.repository.js';
import { HostSyncService } from '../../../../plugin/host/sync.service.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { SplynxFake } from '../../../support/splynx-fake/server.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createStaff, csrfOf, loggedIn } from '../../../support/web.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

const NOW = '2026-03-02T09:00:00Z';

async function splynxPlugin(dialect: 'sqlite' | 'mysql', fake: SplynxFake, settings: Record<string, unknown> = {}): Promise<TestPlugin> {
  return createTestPlugin(dialect, {
    clock: new ManualClock(NOW),
    config: {
      billing: { currency: 'EUR', timezone: 'Europe/Berlin' },
      host: { kind: 'splynx', splynx: { url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, retries: 0, ...settings } },
    },
  });
}

/** Each case migrates a fresh database first, which takes seconds on MariaDB. */
const slowIt = (title: string, fn: () => Promise<void>) => it(title, fn).timeout(90_000);
const sync = (p: TestPlugin) => p.services.host.sync!;
const accountOf = async (p: TestPlugin, splynxId: string) => (await p.services.subscribers.subscribers.listAccounts({ externalId: `splynx:${splynxId}` }, 5)).items;
const allAccounts = async (p: TestPlugin) => (await p.services.subscribers.subscribers.listAccounts({}, 1000)).items;

forEachDatabase('host sync with Splynx', (dialect) => {
  let fake: SplynxFake;
  let plugin: TestPlugin;
  beforeEach(async () => {
    fake = new SplynxFake();
    await fake.start();
  });
  afterEach(async () => {
    await plugin?.close();
    await fake.stop();
  });

  slowIt('brings Splynx customers and internet services into Octet, and a second sync creates nothing', async () => {
    plugin = await splynxPlugin(dialect, fake);
    const first = await sync(plugin).runOnce();
    expect(first.filter((r) => r.error).map((r) => r.error)).to.deep.equal([]);
    const accounts = await allAccounts(plugin);
    expect(accounts.map((a) => [a.externalId, a.name, a.email]).sort()).to.deep.equal([
      ['splynx:1', 'Jacques Rice', 'jfarrell@gmail.com'],
      ['splynx:2', 'John Doe', 'john.doe@domain.com'],
    ]);
    const [john] = await accountOf(plugin, '2');
    const services = await plugin.services.subscribers.subscribers.servicesOf(john!.id);
    expect(services.map((s) => [s.login, s.status, s.startDate])).to.deep.equal([['john_doe_main', 'active', '2016-01-01']]);

    const second = await sync(plugin).runOnce();
    expect(second.map((r) => [r.stream, r.counts.created, r.counts.updated])).to.deep.equal([
      ['customers', 0, 0],
      ['services', 0, 0],
      ['charges', 0, 0],
    ]);
    expect(await allAccounts(plugin)).to.have.length(2);
    expect(await plugin.services.subscribers.subscribers.servicesOf(john!.id)).to.have.length(1);
  });

  slowIt('says which Splynx tariff Octet does not know, and brings the service over without one', async () => {
    plugin = await splynxPlugin(dialect, fake);
    await sync(plugin).runOnce();
    const status = await sync(plugin).status();
    expect(status.errors.map((e) => [e.stream, e.externalId, e.message])).to.deep.include(['services', '1', `tariff "Aplha" is not in Octet's catalogue: map it in host.splynx.tariffMap`]);
    const [john] = await accountOf(plugin, '2');
    expect((await plugin.services.subscribers.subscribers.servicesOf(john!.id))[0]!.tariff).to.equal(null);
  });

  slowIt('resumes a customer sync that failed mid-way at the page after the last one it saved', async () => {
    for (let i = 3; i <= 6; i++) fake.put(fake.customers, { id: i, name: `Customer ${i}`, status: 'active', last_update: '2026-01-01 00:00:00' });
    plugin = await splynxPlugin(dialect, fake, { pageSize: 2 });
    fake.fault({ status: 500, method: 'GET', path: 'admin/customers/customer', skip: 1, times: 1 });
    const failed = await sync(plugin).runStream('customers');
    expect(failed.error).to.contain('500');
    expect((await allAccounts(plugin)).map((a) => a.externalId).sort()).to.deep.equal(['splynx:1', 'splynx:2']);
    const state = (await sync(plugin).status()).streams.find((s) => s.stream === 'customers')!;
    expect(state.failures).to.equal(1);
    expect(state.nextAttemptAt!.toISOString()).to.equal('2026-03-02T09:01:00.000Z');

    const waiting = await sync(plugin).runStream('customers');
    expect(waiting.ran).to.equal(false);
    const resumed = await sync(plugin).runStream('customers', true);
    expect(resumed.error).to.equal(null);
    expect(resumed.counts.created).to.equal(4);
    expect((await allAccounts(plugin)).map((a) => a.externalId).sort()).to.deep.equal(['splynx:1', 'splynx:2', 'splynx:3', 'splynx:4', 'splynx:5', 'splynx:6']);
    const after = (await sync(plugin).status()).streams.find((s) => s.stream === 'customers')!;
    expect([after.failures, after.lastError, after.nextAttemptAt]).to.deep.equal([0, null, null]);
  });

  slowIt('posts each line of an issued invoice to Splynx once, even when the run dies after the POST and before saving it', async () => {
    plugin = await splynxPlugin(dialect, fake);
    await sync(plugin).runStream('customers');
    const [john] = await accountOf(plugin, '2');
    const [invoice] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(john!.id, 'k-john')]);
    const lines = (await plugin.services.invoicing.invoices.snapshot(invoice!.id)).document.lines.filter((l) => l.amountMinor !== 0n);

    // The same sync, but its first save of posted keys fails: Splynx has the records, Octet has no note of them.
    class Crashing extends HostSyncRepository {
      crashes = 1;
      override async savePosted(rows: Parameters<HostSyncRepository['savePosted']>[0]) {
        if (this.crashes-- > 0) throw new Error('process killed');
        return super.savePosted(rows);
      }
    }
    const repo = new Crashing(plugin.ctx.db, plugin.ctx.clock, 'splynx');
    const s = plugin.services;
    const crashing = new HostSyncService({
      host: s.host.platform,
      repo,
      ports: hostSyncPorts({ subscribers: s.subscribers, invoices: s.invoicing.invoices, payments: s.payments, enforcement: s.enforcement }),
      clock: plugin.ctx.clock,
      logger: plugin.ctx.logger,
      timezone: 'Europe/Berlin',
      currency: 'EUR',
      tariffMap: {},
      dunning: 'host',
    });
    const died = await crashing.runStream('charges');
    expect(died.error).to.equal('process killed');
    expect(fake.transactions.size).to.equal(lines.length);

    const rerun = await sync(plugin).runStream('charges', true);
    expect(rerun.error).to.equal(null);
    expect(fake.transactions.size).to.equal(lines.length);
    expect(rerun.counts.unchanged).to.equal(lines.length);
    expect([...fake.transactions.values()].map((t) => t.comment).sort()).to.deep.equal(lines.map((_l, i) => `octet:inv:${invoice!.id}:${i}`).sort());
    expect([...fake.transactions.values()].every((t) => t.customer_id === '2' && t.type === 'debit')).to.equal(true);

    const again = await sync(plugin).runStream('charges', true);
    expect(again.counts.created + again.counts.unchanged).to.equal(0);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path === 'admin/finance/transactions')).to.have.length(lines.length);
  });

  slowIt('reads Splynx payments into Octet once when Octet does the dunning', async () => {
    plugin = await splynxPlugin(dialect, fake, { dunning: 'octet' });
    expect(plugin.services.host.owns.blocking).to.equal(false);
    await sync(plugin).runOnce();
    await sync(plugin).runOnce();
    const [jacques] = await accountOf(plugin, '1');
    const { rows } = await plugin.services.payments.list({ accountId: jacques!.id });
    expect(rows.map((p) => [p.amountMinor, p.currency, p.source, p.externalId, p.reference])).to.deep.equal([[15825n, 'EUR', 'splynx', '1', '000001']]);
    fake.put(fake.payments, { id: 2, customer_id: 1, amount: '10.0000', date: '2026-03-02', receipt_number: 'R-2', payment_type: '1' });
    await sync(plugin).runOnce();
    expect((await plugin.services.payments.list({ accountId: jacques!.id })).rows.map((p) => p.externalId).sort()).to.deep.equal(['1', '2']);
  });

  slowIt('ends a service Splynx ended before the last billing date that carries it on that date, not earlier: what was billed in advance stays right, and the sync reports no error', async () => {
    plugin = await splynxPlugin(dialect, fake, { tariffMap: { Aplha: 'HOME-31' } });
    await plugin.services.tariffs.catalogue.create({ code: 'HOME-31', name: 'Home', currency: 'EUR', recurringFee: '31.00', usage: { direction: 'both', unit: 'GB', includedUnits: '0', charge: { model: 'per_unit', unitPrice: '0.50' } } }, 'user:1');
    await sync(plugin).runOnce();
    const [john] = await accountOf(plugin, '2');
    // 2 March: the run for 1 March bills March in advance.
    const run = await plugin.services.invoicing.billing.run('2026-03', { dryRun: false, by: 'user:1' });
    expect([run.status, run.invoicesIssued]).to.deep.equal(['finished', 1]);
    fake.put(fake.services, { ...fake.services.get(1)!, status: 'disabled', end_date: '2026-02-10' });
    const results = await sync(plugin).runOnce();
    expect(results.filter((r) => r.error).map((r) => r.error)).to.deep.equal([]);
    expect((await sync(plugin).status()).errors).to.deep.equal([]);
    const [svc] = await plugin.services.subscribers.subscribers.servicesOf(john!.id);
    expect([svc!.status, svc!.endDate]).to.deep.equal(['ended', '2026-03-01']);
  });

  slowIt('mirrors a Splynx block into enforcement (and its lifting) when Splynx does the dunning, and reads no payments', async () => {
    plugin = await splynxPlugin(dialect, fake, { dunning: 'splynx' });
    expect(plugin.services.host.owns.blocking).to.equal(true);
    expect(sync(plugin).streams()).to.not.include('payments');
    await sync(plugin).runOnce();
    const [john] = await accountOf(plugin, '2');
    const [svc] = await plugin.services.subscribers.subscribers.servicesOf(john!.id);
    expect((await plugin.services.enforcement.stateOf([svc!.id])).get(svc!.id)?.desired ?? 'active').to.equal('active');

    fake.put(fake.customers, { ...fake.customers.get(2)!, status: 'blocked', last_update: '2026-03-02 10:00:00' });
    await sync(plugin).runOnce();
    const blocked = (await plugin.services.enforcement.stateOf([svc!.id])).get(svc!.id)!;
    expect([blocked.desired, blocked.cause.kind, blocked.cause.actor]).to.deep.equal(['suspended', 'dunning', 'host:splynx']);

    fake.put(fake.customers, { ...fake.customers.get(2)!, status: 'active', last_update: '2026-03-02 10:05:00' });
    await sync(plugin).runOnce();
    expect((await plugin.services.enforcement.stateOf([svc!.id])).get(svc!.id)!.desired).to.equal('active');
    const [jacques] = await accountOf(plugin, '1');
    expect((await plugin.services.payments.list({ accountId: jacques!.id })).rows).to.have.length(0);
  });

  slowIt('shows the sync on GET /api/v1/host/sync and on the /host page, where only admins may sync now', async () => {
    plugin = await splynxPlugin(dialect, fake);
    fake.fault({ status: 503, method: 'GET', path: 'admin/customers/customer', times: 1 });
    await sync(plugin).runOnce();
    const { token } = await plugin.ctx.services.auth.createApiToken({ name: 'ro', role: 'readonly' }, 'test');
    const api = expectValidResponse(await request(plugin.app).get('/api/v1/host/sync').set('Authorization', `Bearer ${token}`).expect(200));
    expect(api.body.kind).to.equal('splynx');
    expect(api.body.owns).to.deep.equal({ customers: true, finance: true, blocking: true });
    const customers = api.body.streams.find((s: { stream: string }) => s.stream === 'customers');
    expect(customers).to.include({ failures: 1, nextAttemptAt: '2026-03-02T09:01:00.000Z' });
    expect(customers.lastError).to.contain('503');
    expectValidResponse(await request(plugin.app).get('/api/v1/host/sync').expect(401));

    const readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const page = await readonly.get('/host').expect(200);
    expect(page.text).to.contain('Host sync').and.contain('503').and.not.contain('id="sync-now"');
    expect(page.text).to.match(/API requests since start: \d+; retried after a rate limit or an error: 0/);
    await readonly.post('/host/sync').type('form').send({ _csrf: await csrfOf(readonly, '/host') }).expect(403);

    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin'));
    await admin.post('/host/sync').type('form').send({}).expect(403);
    const ran = await admin.post('/host/sync').type('form').send({ _csrf: await csrfOf(admin, '/host') }).expect(200);
    // The failed run's services stream already brought John Doe over (it fetched his customer record).
    expect(ran.text).to.contain('Sync done').and.contain('customers: 1 created, 0 updated, 1 unchanged, 0 skipped, 0 failed');
    expect(await allAccounts(plugin)).to.have.length(2);
  });
});
