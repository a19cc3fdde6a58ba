import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { splynxSettingsSchema } from '../../../../plugin/host/config.js';
import type { HostCharge, HostPlatform } from '../../../../plugin/host/platform.js';
import { hostSyncPorts } from '../../../../plugin/host/ports.js';
import { SplynxHost } from '../../../../plugin/host/splynx/adapter.js';
import { SplynxClient } from '../../../../plugin/host/splynx/client.js';
import { HostSyncRepository } from '../../../../plugin/host/sync.repository.js';
import { HostSyncService } from '../../../../plugin/host/sync.service.js';
import { uispSettingsSchema, UispPlatform } from '../../../../plugin/host/uisp/index.js';
import { backfillHeldDocuments } from '../../../../migrations/0027-host-held-documents.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { SplynxFake } from '../../../support/splynx-fake/server.js';
import { startUispFake, type UispFake } from '../../../support/uisp-fake/server.js';
import { createStaff, loggedIn } from '../../../support/web.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

const NOW = '2026-03-02T09:00:00Z';
const slowIt = (title: string, fn: () => Promise<void>) => it(title, fn).timeout(90_000);
const sync = (p: TestPlugin) => p.services.host.sync!;
const accountByExternal = async (p: TestPlugin, externalId: string) => (await p.services.subscribers.subscribers.listAccounts({ externalId }, 5)).items[0]!;

/** The plugin's sync, but its first save of posted keys dies: the host has the records, Octet no note of them. */
function crashingSync(plugin: TestPlugin, host: HostPlatform, dunning: 'host' | 'octet') {
  class Crashing extends HostSyncRepository {
    crashes = 1;
    override async savePosted(rows: Parameters<HostSyncRepository['savePosted']>[0]) {
      if (this.crashes-- > 0) throw new Error('process killed');
      return super.savePosted(rows);
    }
  }
  const s = plugin.services;
  return new HostSyncService({
    host,
    repo: new Crashing(plugin.ctx.db, plugin.ctx.clock, host.kind),
    ports: hostSyncPorts({ subscribers: s.subscribers, invoices: s.invoicing.invoices, payments: s.payments, enforcement: s.enforcement }),
    clock: plugin.ctx.clock,
    logger: plugin.ctx.logger,
    timezone: 'Europe/Berlin',
    currency: plugin.ctx.config.billing.currency,
    tariffMap: {},
    dunning,
  });
}

/** An issued invoice of the account and a credit note of all its lines; the credit note's non-zero lines. */
async function invoiceAndCreditNote(plugin: TestPlugin, accountId: number, key: string) {
  const [invoice] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(accountId, key)]);
  const cn = await plugin.services.invoicing.credits.creditNote(invoice!.id, { reason: 'wrong tariff', by: 'test' });
  const snap = await plugin.services.invoicing.invoices.snapshot(cn.creditNoteId);
  const lines = snap.document.lines.map((l, i) => ({ i, net: snap.document.lineTaxes[i]?.netMinor ?? l.amountMinor })).filter((l) => l.net !== 0n);
  return { invoice: invoice!, creditNote: cn, lines };
}

const amount = (minor: bigint) => (Number(minor) / 100).toFixed(2);

forEachDatabase('host sync: credit notes and documents of accounts linked later (Splynx)', (dialect) => {
  let fake: SplynxFake;
  let plugin: TestPlugin;
  const splynxPlugin = (settings: Record<string, unknown> = {}) =>
    createTestPlugin(dialect, {
      clock: new ManualClock(NOW),
      config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' }, host: { kind: 'splynx', splynx: { url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, retries: 0, ...settings } } },
    });
  beforeEach(async () => {
    fake = new SplynxFake();
    await fake.start();
  });
  afterEach(async () => {
    await plugin?.close();
    await fake.stop();
  });

  slowIt('posts an Octet credit note as credit transactions once (positive amounts), also after a crash between the POST and saving it', async () => {
    plugin = await splynxPlugin();
    await sync(plugin).runStream('customers');
    const john = await accountByExternal(plugin, 'splynx:2');
    const { invoice, creditNote, lines } = await invoiceAndCreditNote(plugin, john.id, 'k-cn-tx');
    const died = await crashingSync(plugin, plugin.services.host.platform, 'host').runStream('charges');
    expect(died.error).to.equal('process killed');

    const rerun = await sync(plugin).runStream('charges', true);
    expect(rerun.error).to.equal(null);
    const credits = [...fake.transactions.values()].filter((t) => String(t.comment).startsWith('octet:cn:'));
    const debits = [...fake.transactions.values()].filter((t) => String(t.comment).startsWith('octet:inv:'));
    expect(credits.map((t) => t.comment).sort()).to.deep.equal(lines.map((l) => `octet:cn:${creditNote.creditNoteId}:${l.i}`).sort());
    expect(credits.every((t) => t.type === 'credit' && t.customer_id === '2')).to.equal(true);
    expect(credits.map((t) => t.price).sort()).to.deep.equal(lines.map((l) => amount(l.net)).sort());
    expect(lines.every((l) => l.net > 0n)).to.equal(true);
    expect(debits.every((t) => t.type === 'debit' && String(t.comment).startsWith(`octet:inv:${invoice.id}:`))).to.equal(true);

    await sync(plugin).runStream('charges', true);
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path === 'admin/finance/transactions');
    expect(posts).to.have.length(credits.length + debits.length);
    expect(fake.transactions.size).to.equal(credits.length + debits.length);
  });

  slowIt('posts an Octet credit note as one Splynx credit note (not_refunded, its CN number, the key in note) once, also after a crash', async () => {
    plugin = await splynxPlugin({ charges: 'invoices' });
    await sync(plugin).runStream('customers');
    const john = await accountByExternal(plugin, 'splynx:2');
    const { creditNote, lines } = await invoiceAndCreditNote(plugin, john.id, 'k-cn-inv');
    expect((await crashingSync(plugin, plugin.services.host.platform, 'host').runStream('charges')).error).to.equal('process killed');
    expect((await sync(plugin).runStream('charges', true)).error).to.equal(null);
    await sync(plugin).runStream('charges', true);

    expect(fake.invoices.size).to.equal(1);
    expect(fake.creditNotes.size).to.equal(1);
    const cn = [...fake.creditNotes.values()][0]!;
    expect(cn).to.deep.include({ customer_id: '2', status: 'not_refunded', number: creditNote.number, note: `octet:cn:${creditNote.creditNoteId}`, date_created: '2026-03-02' });
    expect(creditNote.number).to.match(/^CN-/);
    expect((cn.items as Array<{ price: string }>).map((i) => i.price).sort()).to.deep.equal(lines.map((l) => amount(l.net)).sort());
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path === 'admin/finance/credit-notes')).to.have.length(1);
  });

  slowIt('holds the invoices of an account without a link, shows them as held, and posts them once on the first pass after the account is linked', async () => {
    plugin = await splynxPlugin();
    await sync(plugin).runStream('customers');
    const subs = plugin.services.subscribers.subscribers;
    // Octet accounts the host does not know yet: one that Splynx customer 7 will later adopt, one never linked.
    const later = await subs.createAccount({ name: 'Later Linked', currency: 'EUR', externalId: 'splynx:7' }, 'test');
    const never = await subs.createAccount({ name: 'Standalone Only', currency: 'EUR' }, 'test');
    const [held] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(later.id, 'k-later')]);
    await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(never.id, 'k-never')]);

    const first = await sync(plugin).runStream('charges');
    expect([first.error, first.counts.skipped, first.counts.held, first.counts.created]).to.deep.equal([null, 2, 2, 0]);
    expect((await sync(plugin).status()).heldDocuments).to.equal(2);
    const { token } = await plugin.ctx.services.auth.createApiToken({ name: 'ro', role: 'readonly' }, 'test');
    const api = expectValidResponse(await request(plugin.app).get('/api/v1/host/sync').set('Authorization', `Bearer ${token}`).expect(200));
    expect(api.body.streams.find((s: { stream: string }) => s.stream === 'charges').counts.held).to.equal(2);
    const page = await (await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'))).get('/host').expect(200);
    expect(page.text).to.contain('held 2');
    expect(fake.transactions.size).to.equal(0);

    // Splynx customer 7 appears; the customers stream adopts the Octet account with its external id.
    fake.put(fake.customers, { id: 7, name: 'Later Linked', status: 'active', last_update: '2026-03-02 10:00:00' });
    await sync(plugin).runStream('customers', true);
    const second = await sync(plugin).runStream('charges', true);
    const lines = (await plugin.services.invoicing.invoices.snapshot(held!.id)).document.lines.filter((l) => l.amountMinor !== 0n);
    expect([second.error, second.counts.created, second.counts.held]).to.deep.equal([null, lines.length, 1]);
    expect([...fake.transactions.values()].map((t) => [t.customer_id, String(t.comment).split(':').slice(0, 3).join(':')])).to.deep.equal(lines.map(() => ['7', `octet:inv:${held!.id}`]));

    const third = await sync(plugin).runStream('charges', true);
    expect([third.counts.created, third.counts.unchanged, third.counts.held]).to.deep.equal([0, 0, 1]);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path === 'admin/finance/transactions')).to.have.length(lines.length);
    expect((await sync(plugin).status()).heldDocuments).to.equal(1);
  });

  slowIt('posts a held invoice once when the pass that posts it dies before saving: the next pass finds it on the host and releases it', async () => {
    plugin = await splynxPlugin();
    const later = await plugin.services.subscribers.subscribers.createAccount({ name: 'Later Linked', currency: 'EUR', externalId: 'splynx:7' }, 'test');
    const [held] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(later.id, 'k-later-crash')]);
    await sync(plugin).runStream('charges');
    fake.put(fake.customers, { id: 7, name: 'Later Linked', status: 'active', last_update: '2026-03-02 10:00:00' });
    await sync(plugin).runStream('customers');
    expect((await crashingSync(plugin, plugin.services.host.platform, 'host').runStream('charges')).error).to.equal('process killed');
    const lines = (await plugin.services.invoicing.invoices.snapshot(held!.id)).document.lines.filter((l) => l.amountMinor !== 0n);
    const rerun = await sync(plugin).runStream('charges', true);
    expect([rerun.error, rerun.counts.unchanged, rerun.counts.created, rerun.counts.held]).to.deep.equal([null, lines.length, 0, 0]);
    expect(fake.transactions.size).to.equal(lines.length);
  });

  slowIt('posts an invoice voided by its credit note before the pass reached it together with the credit note, so Splynx nets them out', async () => {
    plugin = await splynxPlugin();
    await sync(plugin).runStream('customers');
    const john = await accountByExternal(plugin, 'splynx:2');
    const [invoice] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(john.id, 'k-void')]);
    const cn = await plugin.services.invoicing.credits.creditNote(invoice!.id, { reason: 'cancelled', by: 'test', void: true });
    expect((await plugin.services.invoicing.invoices.get(invoice!.id)).status).to.equal('void');
    expect((await sync(plugin).runStream('charges')).error).to.equal(null);
    const rows = [...fake.transactions.values()];
    const sum = (type: string) => rows.filter((t) => t.type === type).reduce((a, t) => a + Math.round(Number(t.price) * 100), 0);
    expect(rows.some((t) => String(t.comment).startsWith(`octet:inv:${invoice!.id}:`))).to.equal(true);
    expect(rows.some((t) => String(t.comment).startsWith(`octet:cn:${cn.creditNoteId}:`))).to.equal(true);
    expect(sum('debit')).to.equal(sum('credit'));
  });

  slowIt('migration 0027 holds what the stream passed before it (a credit note, an invoice of an unlinked account), and the next passes post them once', async () => {
    plugin = await splynxPlugin();
    await sync(plugin).runStream('customers');
    const john = await accountByExternal(plugin, 'splynx:2');
    const later = await plugin.services.subscribers.subscribers.createAccount({ name: 'Later Linked', currency: 'EUR', externalId: 'splynx:7' }, 'test');
    const { invoice, creditNote, lines } = await invoiceAndCreditNote(plugin, john.id, 'k-backfill');
    const [unlinked] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(later.id, 'k-backfill-later')]);
    // Where the old stream left things: John's invoice posted, the cursor past every document.
    const repo = new HostSyncRepository(plugin.ctx.db, plugin.ctx.clock, 'splynx');
    const invLines = (await plugin.services.invoicing.invoices.snapshot(invoice.id)).document.lines;
    await repo.savePosted(invLines.map((_l, i) => ({ key: `octet:inv:${invoice.id}:${i}`, invoiceId: invoice.id, externalId: '0', foundExisting: false })));
    await repo.saveState('charges', { cursor: unlinked!.id });
    await backfillHeldDocuments(plugin.ctx.db.sequelize, plugin.ctx.db.dialect);
    await backfillHeldDocuments(plugin.ctx.db.sequelize, plugin.ctx.db.dialect);
    expect(await repo.heldCount()).to.equal(2);

    const first = await sync(plugin).runStream('charges', true);
    expect([first.error, first.counts.created, first.counts.held]).to.deep.equal([null, lines.length, 1]);
    expect([...fake.transactions.values()].map((t) => [t.type, t.comment]).sort()).to.deep.equal(lines.map((l) => ['credit', `octet:cn:${creditNote.creditNoteId}:${l.i}`]).sort());
    fake.put(fake.customers, { id: 7, name: 'Later Linked', status: 'active', last_update: '2026-03-02 10:00:00' });
    await sync(plugin).runStream('customers', true);
    const second = await sync(plugin).runStream('charges', true);
    expect([second.error, second.counts.held]).to.deep.equal([null, 0]);
    expect([...fake.transactions.values()].filter((t) => t.customer_id === '7' && String(t.comment).startsWith(`octet:inv:${unlinked!.id}:`)).length).to.equal(second.counts.created);
    expect(second.counts.created).to.be.greaterThan(0);
  });
});

forEachDatabase('host sync: credit notes to the UISP CRM', (dialect) => {
  let crm: UispFake;
  let plugin: TestPlugin;
  beforeEach(async () => {
    crm = await startUispFake();
    crm.taxes.push({ id: 2, name: 'VAT', rate: 19 });
  });
  afterEach(async () => {
    await plugin?.close();
    await crm.close();
  });

  slowIt('posts an Octet credit note as one CRM credit note with negative item prices, once, also after a crash between the answer and the save', async () => {
    plugin = await createTestPlugin(dialect, {
      clock: new ManualClock(NOW),
      config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' }, host: { kind: 'uisp', url: crm.url, appKey: crm.writeKey, appKeyType: 'write', signingKey: 'k'.repeat(40), retries: 0 } },
    });
    await sync(plugin).runStream('customers');
    const john = await accountByExternal(plugin, 'uisp:1000');
    const { creditNote, lines } = await invoiceAndCreditNote(plugin, john.id, 'k-uisp-cn');
    expect((await crashingSync(plugin, plugin.services.host.platform, 'host').runStream('charges')).error).to.equal('process killed');
    expect((await sync(plugin).runStream('charges', true)).error).to.equal(null);
    await sync(plugin).runStream('charges', true);

    expect(crm.invoices).to.have.length(1);
    expect(crm.creditNotes).to.have.length(1);
    expect(crm.creditNotes[0]).to.deep.include({ clientId: 1000, adminNotes: `octet-charge:doc:octet:cn:${creditNote.creditNoteId}`, notes: `Octet credit note ${creditNote.number}`, createdDate: '2026-03-02T00:00:00+0000' });
    expect((crm.creditNotes[0]!.items as Array<{ price: number; tax1Id: number }>).map((i) => [i.price, i.tax1Id]).sort()).to.deep.equal(lines.map((l) => [-Number(l.net) / 100, 2]).sort());
    expect(crm.requests.filter((r) => r.method === 'POST' && r.path === 'clients/1000/credit-note')).to.have.length(1);
  });
});

describe('credit note charges at the hosts (a discount taken back has a negative amount)', () => {
  const document = { key: 'octet:cn:9', number: 'CN-2026-000001', issueDate: '2026-03-01', dueDate: null, type: 'credit_note' as const };
  const credit = (over: Partial<HostCharge>): HostCharge => ({
    key: 'octet:cn:9:0', customerExternalId: '2', serviceExternalId: null, description: 'Credit for line 1', quantity: '1', unit: null,
    amountMinor: 1000n, taxPercent: '19', currency: 'EUR', date: '2026-03-01', periodFrom: null, periodTo: null, document, ...over,
  });
  const lines = [credit({}), credit({ key: 'octet:cn:9:1', description: 'Credit for line 2: loyalty discount', amountMinor: -200n })];

  it('Splynx transactions: credit transactions, the discount taken back with a negative price', async () => {
    const fake = new SplynxFake();
    await fake.start();
    try {
      const host = new SplynxHost({ client: new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth: 'signature' }), settings: splynxSettingsSchema.parse({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret }), currency: 'EUR', timezone: 'Europe/Berlin', now: () => new Date(NOW) });
      await host.postCharges(lines);
      expect([...fake.transactions.values()].map((t) => [t.type, t.price, t.comment])).to.deep.equal([
        ['credit', '10.00', 'octet:cn:9:0'],
        ['credit', '-2.00', 'octet:cn:9:1'],
      ]);
    } finally {
      await fake.stop();
    }
  });

  it('Splynx credit notes: one credit note, the discount taken back as an item with a negative price; the fake refuses an item without unit', async () => {
    const fake = new SplynxFake();
    await fake.start();
    try {
      const settings = splynxSettingsSchema.parse({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, charges: 'invoices' });
      const host = new SplynxHost({ client: new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth: 'signature' }), settings, currency: 'EUR', timezone: 'Europe/Berlin', now: () => new Date(NOW) });
      const posted = await host.postCharges(lines);
      expect(posted.map((p) => [p.key, p.externalId, p.duplicate])).to.deep.equal([['octet:cn:9:0', '1', false], ['octet:cn:9:1', '1', false]]);
      expect((await host.postCharges(lines)).every((p) => p.duplicate)).to.equal(true);
      const cn = fake.creditNotes.get(1)!;
      expect((cn.items as Array<{ price: string }>).map((i) => i.price)).to.deep.equal(['10.00', '-2.00']);
      expect(cn.total).to.equal('8.0000');
      const client = new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth: 'signature' });
      const err = await client.post('admin/finance/credit-notes', { customer_id: 2, status: 'not_refunded', number: 'X', items: [{ description: 'x', quantity: 1 }] }).catch((e: unknown) => e);
      expect(String(err)).to.contain('unit');
      expect(fake.creditNotes.size).to.equal(1);
    } finally {
      await fake.stop();
    }
  });

  it('UISP CRM: the credit line as a negative price, the discount taken back as a positive one', async () => {
    const crm = await startUispFake();
    try {
      crm.taxes.push({ id: 2, name: 'VAT', rate: 19 });
      const p = new UispPlatform({ settings: uispSettingsSchema.parse({ url: crm.url, appKey: crm.writeKey, appKeyType: 'write', signingKey: 'k'.repeat(40), retries: 0 }), logger: nullLogger });
      await p.postCharges(lines.map((l) => ({ ...l, customerExternalId: '1000' })));
      expect(crm.creditNotes).to.have.length(1);
      expect((crm.creditNotes[0]!.items as Array<{ price: number }>).map((i) => i.price)).to.deep.equal([-10, 2]);
      expect(crm.invoices).to.have.length(0);
    } finally {
      await crm.close();
    }
  });
});

describe('Splynx nonces of two clients on one API key (two plugin instances)', () => {
  it('keep increasing, so the fake (which refuses a nonce not above the last one) takes every request of both', async () => {
    const fake = new SplynxFake();
    await fake.start();
    try {
      const a = new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth: 'signature', retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
      const b = new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth: 'signature', retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
      for (let i = 0; i < 10; i++) {
        await a.get('admin/customers/customer');
        await a.get('admin/customers/customer');
        await b.get('admin/customers/customer');
      }
      expect(fake.requests.filter((r) => r.status === 200)).to.have.length(30);
    } finally {
      await fake.stop();
    }
  });
});
