import { expect } from 'chai';
import type { ManualClock } from '../../../../../plugin/common/clock.js';
import { sqlTime, valuesPlaceholders } from '../../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../../support/web.js';
import { FakeBilling, FakeMail, withInvoicing, type Invoicing } from './fixtures.js';

const GB = 1_000_000_000n;
const fibre = {
  code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '30.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.50' } },
};

/** The pages on the composition root's real billing service: preview, run, credit, and what the other pages then show. */
forEachDatabase('billing pages on the real billing service', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let accountId: number;

  async function finished(browser: Browser, location: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const page = await browser.get(location).expect(200);
      if (!page.headers.refresh) return page.text;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${location} still running`);
  }

  before(async () => {
    const state: Invoicing = { billing: new FakeBilling(), mail: new FakeMail(), real: true };
    plugin = await createTestPlugin(dialect, { modules: withInvoicing(state), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, schedule: { enabled: false } } } });
    const clock = plugin.clock as ManualClock;
    clock.set('2026-09-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Alice <b>Example</b>', email: 'alice@example.net', currency: 'EUR' }, 'user:1');
    const sv = await subscribers.createService(a.id, { login: 'alice', tariff: 'FIBRE-100', startDate: '2026-10-01' }, 'user:1');
    accountId = a.id;
    // 150 GB in November (Berlin): 50 GB above the allowance at 0.50.
    const rows: unknown[] = [];
    const t = (ms: number) => sqlTime(plugin.ctx.db.dialect, ms);
    for (let h = 0; h < 720; h++) rows.push('alice', t(Date.parse('2026-10-31T23:00:00Z') + h * 3_600_000), sv.id, 'radius', ((150n * GB) / 720n).toString(), '0', t(Date.parse('2026-10-31T23:00:00Z')));
    for (let i = 0; i < rows.length; i += 7 * 400) {
      const part = rows.slice(i, i + 7 * 400);
      await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(part.length / 7, 7)}`, { replacements: part });
    }
    clock.set('2026-12-01T05:00:00Z');
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
  });
  after(async () => plugin?.close());

  it('previews a due period, then bills it, then credits a line, and every page agrees', async () => {
    const runs = await billing.get('/billing/runs').expect(200);
    const period = /<option value="(\d{4}-\d\d-\d\d)" selected>/.exec(runs.text)![1]!;
    let _csrf = await csrfOf(billing, '/billing/runs');
    const preview = await billing.post('/billing/runs').type('form').send({ _csrf, period, mode: 'preview' }).expect(303);
    const previewPage = await finished(billing, preview.headers.location!);
    expect(previewPage).to.match(/<table id="preview"[\s\S]*Alice &lt;b&gt;Example&lt;\/b&gt;[\s\S]*65\.45 EUR/);
    expect((await billing.get('/invoices').expect(200)).text).to.contain('No invoices yet');

    const run = await billing.post('/billing/runs').type('form').send({ _csrf, period, mode: 'run', confirm: 'on' }).expect(303);
    const runPage = await finished(billing, run.headers.location!);
    expect(runPage).to.match(/<table id="totals"[\s\S]*65\.45 EUR/);
    const list = await billing.get(`/invoices?accountId=${accountId}`).expect(200);
    const id = /href="\/invoices\/(\d+)">INV-000001</.exec(list.text)![1]!;

    _csrf = await csrfOf(billing, `/invoices/${id}`);
    const credited = await billing.post(`/invoices/${id}/credit-notes`).type('form').send({ _csrf, reason: 'Usage disputed', scope: 'lines', lines: '1' }).expect(303);
    const cnPage = await billing.get(credited.headers.location!).expect(200);
    expect(cnPage.text).to.contain('Credit note CN-000001');
    expect(cnPage.text).to.contain(`href="/invoices/${id}">INV-000001`);
    // Crediting the same line again is refused on the form, with nothing issued.
    _csrf = await csrfOf(billing, `/invoices/${id}`);
    const again = await billing.post(`/invoices/${id}/credit-notes`).type('form').send({ _csrf, reason: 'Again', scope: 'lines', lines: '1' }).expect(422);
    expect(again.text).to.contain('credited already');

    // 65.45 invoiced, the usage line (25.00 + 19 % = 29.75) credited.
    const account = await billing.get(`/accounts/${accountId}/billing`).expect(200);
    expect(account.text).to.match(/<table id="balance"[\s\S]*65\.45 EUR[\s\S]*29\.75 EUR[\s\S]*<strong>35\.70 EUR<\/strong>/);
    const reports = await billing.get('/reports?from=2026-12&to=2026-12').expect(200);
    expect(reports.text).to.match(/<section class="card" id="revenue">[\s\S]*2026-12[\s\S]*35\.70 EUR/);
    const recon = await billing.get(`/billing/reconcile?period=${period}`).expect(200);
    expect(recon.text).to.contain('No differences');
  });
});
