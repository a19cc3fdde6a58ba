import { expect } from 'chai';
import { ManualClock } from '../../../../../plugin/common/clock.js';
import { ConflictError } from '../../../../../plugin/common/errors.js';
import type { InvoiceRecord } from '../../../../../plugin/invoicing/invoices.repository.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../../support/web.js';
import { FakeBilling, FakeMail, issue, newDocument, withInvoicing, type Invoicing } from './fixtures.js';

const EVIL = '<script>alert("x")</script> Praxis';

forEachDatabase('invoice, billing run, account billing and report pages', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let readonly: Browser;
  let state: Invoicing;
  let accountId: number;
  let evilId: number;
  let invoice: InvoiceRecord;
  let evilInvoice: InvoiceRecord;
  let creditNote: InvoiceRecord;

  before(async () => {
    state = { billing: new FakeBilling(), mail: new FakeMail() };
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-10T12:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } }, modules: withInvoicing(state) });
    const subs = plugin.services.subscribers.subscribers;
    const a = await subs.createAccount({ name: 'Gemeinschaftspraxis Dr. Mustermann', email: 'praxis@example.net' }, 'test');
    const sv = await subs.createService(a.id, { login: 'praxis-1' }, 'test');
    const e = await subs.createAccount({ name: EVIL }, 'test');
    accountId = a.id;
    evilId = e.id;
    [invoice, evilInvoice] = (await issue(plugin.ctx, state.invoices!, [newDocument(a.id, 'k1', { serviceId: sv.id }), newDocument(e.id, 'k2', { buyerName: EVIL })])) as [InvoiceRecord, InvoiceRecord];
    [creditNote] = (await issue(plugin.ctx, state.invoices!, [newDocument(a.id, 'k3', { type: 'credit_note', corrects: { id: invoice.id, number: invoice.number! } })])) as [InvoiceRecord];
    await issue(plugin.ctx, state.invoices!, [newDocument(a.id, 'k4', { periodKey: '2026-03-01' })]);
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
  });
  after(async () => plugin?.close());
  beforeEach(() => {
    state.billing.calls = [];
  });

  describe('the invoice list', () => {
    it('lists documents with totals in their currency, account names escaped, and links to the PDF and the CSV export', async () => {
      const page = await readonly.get('/invoices').expect(200);
      expect(page.text).to.contain('INV-000001').and.to.contain('INV-000002').and.to.contain('CN-000001');
      expect(page.text).to.contain(`${invoice.totalMinor.toString().replace(/(\d\d)$/, '.$1')} EUR`);
      expect(page.text).to.contain(`/invoices/${invoice.id}/pdf`);
      expect(page.text).to.contain('href="/invoices/export.csv"');
      expect(page.text).not.to.contain('<script>alert');
      expect(page.text).to.contain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Praxis');
    });

    it('filters by account, type and period, and hands the dates on to the CSV export', async () => {
      const page = await readonly.get(`/invoices?accountId=${accountId}&type=invoice&period=2026-02-01&issuedFrom=2026-01-01&issuedTo=2026-12-31`).expect(200);
      expect(page.text).to.contain('INV-000001').and.not.to.contain('INV-000002').and.not.to.contain('CN-000001');
      expect(page.text).to.contain('1 document;');
      expect(page.text).to.contain('href="/invoices/export.csv?from=2026-01-01&amp;to=2026-12-31&amp;type=invoice"');
    });

    it('names each bad filter beside its field, keeping what was typed', async () => {
      const page = await readonly.get('/invoices?accountId=abc&issuedFrom=2026-02-30&status=lost').expect(422);
      expect(page.text).to.match(/id="accountId-error">Account id must be a positive whole number/);
      expect(page.text).to.match(/id="issuedFrom-error">Issued from must be a date as YYYY-MM-DD/);
      expect(page.text).to.match(/id="status-error">Status must be one of draft, issued, sent, paid, void/);
      expect(page.text).to.contain('value="abc"');
    });
  });

  describe("an invoice's page", () => {
    it('shows the stored document in a sandboxed frame, its status history and billed usage', async () => {
      const page = await readonly.get(`/invoices/${invoice.id}`).expect(200);
      expect(page.text).to.match(/<iframe [^>]*sandbox srcdoc="&lt;!doctype html&gt;/i);
      expect(page.text).to.contain('INV-000001');
      expect(page.text).to.match(/<td class="title">Issued<\/td><td data-label="When">\d{4}-\d\d-\d\d \d\d:\d\d /);
      expect(page.text).to.match(/<table id="usage"[\s\S]*120\.00 GB[\s\S]*5\.00 GB/);
      expect(page.text).to.contain(`href="/invoices/${creditNote.id}">CN-000001`);
    });

    it('escapes a customer name with a script tag, inside the document too', async () => {
      const page = await readonly.get(`/invoices/${evilInvoice.id}`).expect(200);
      expect(page.text).not.to.contain('<script>alert');
      // The template escapes it once, the srcdoc attribute once more.
      expect(page.text).to.contain('&amp;lt;script&amp;gt;alert');
    });

    it('offers read-only staff no credit note, resend or void form', async () => {
      const page = await readonly.get(`/invoices/${invoice.id}`).expect(200);
      expect(page.text).not.to.contain('id="credit-note"').and.not.to.contain('Resend e-mail');
    });

    it('answers 404 for an invoice that does not exist', async () => {
      await readonly.get('/invoices/999999').expect(404);
    });
  });

  describe('credit notes from the page', () => {
    it('refuses read-only staff with 403, even with a valid CSRF token, and nothing is issued', async () => {
      const _csrf = await csrfOf(readonly, `/invoices/${invoice.id}`);
      await readonly.post(`/invoices/${invoice.id}/credit-notes`).type('form').send({ _csrf, reason: 'x', scope: 'whole' }).expect(403);
      await readonly.post(`/invoices/${invoice.id}/resend`).type('form').send({ _csrf }).expect(403);
      await readonly.post('/billing/runs').type('form').send({ _csrf, period: '2026-03-01', mode: 'preview' }).expect(403);
      expect(state.billing.calls).to.deep.equal([]);
    });

    it('refuses a post without the CSRF token', async () => {
      await billing.post(`/invoices/${invoice.id}/credit-notes`).type('form').send({ reason: 'x', scope: 'whole' }).expect(403);
      expect(state.billing.calls).to.deep.equal([]);
    });

    it('asks for a reason and for valid lines, keeping the choices made', async () => {
      const _csrf = await csrfOf(billing, `/invoices/${invoice.id}`);
      const res = await billing.post(`/invoices/${invoice.id}/credit-notes`).type('form').send({ _csrf, reason: '', scope: 'lines', lines: ['2', '9'] }).expect(422);
      expect(res.text).to.match(/id="reason-error">Reason is required/);
      expect(res.text).to.match(/id="lines-error">Lines: must be line numbers from 1 to 3/);
      expect(res.text).to.match(/name="lines" value="2" [^>]*checked/);
      expect(state.billing.calls).to.deep.equal([]);
    });

    it('issues a credit note for chosen lines and shows it', async () => {
      state.billing.nextCreditNote = { creditNoteId: creditNote.id, number: creditNote.number! };
      const _csrf = await csrfOf(billing, `/invoices/${invoice.id}`);
      const res = await billing.post(`/invoices/${invoice.id}/credit-notes`).type('form').send({ _csrf, reason: ' Installation billed twice ', scope: 'lines', lines: ['3', '1', '3'] }).expect(303);
      expect(res.headers.location).to.equal(`/invoices/${creditNote.id}`);
      const [call] = state.billing.calls;
      expect(call!.method).to.equal('creditNote');
      expect(call!.args[0]).to.equal(invoice.id);
      expect(call!.args[1]).to.deep.include({ reason: 'Installation billed twice', lines: [1, 3] });
      expect((call!.args[1] as { by: string }).by).to.match(/^user:\d+$/);
    });

    it('issues a whole credit note that voids the invoice', async () => {
      const _csrf = await csrfOf(billing, `/invoices/${invoice.id}`);
      await billing.post(`/invoices/${invoice.id}/credit-notes`).type('form').send({ _csrf, reason: 'Cancelled contract', scope: 'whole', void: 'on' }).expect(303);
      expect(state.billing.calls[0]!.args[1]).to.deep.include({ reason: 'Cancelled contract', void: true }).and.not.to.have.property('lines');
    });

    it("puts the billing service's refusal on the form", async () => {
      state.billing.creditNoteError = new ConflictError('invoice INV-000001 is paid: refund the payment first');
      try {
        const _csrf = await csrfOf(billing, `/invoices/${invoice.id}`);
        const res = await billing.post(`/invoices/${invoice.id}/credit-notes`).type('form').send({ _csrf, reason: 'Late', scope: 'whole' }).expect(422);
        expect(res.text).to.contain('invoice INV-000001 is paid: refund the payment first');
        expect(res.text).to.contain('value="Late"');
      } finally {
        state.billing.creditNoteError = null;
      }
    });

    it("resends the e-mail to the account's address and lists the attempt", async () => {
      const _csrf = await csrfOf(billing, `/invoices/${invoice.id}`);
      const res = await billing.post(`/invoices/${invoice.id}/resend`).type('form').send({ _csrf, to: '' }).expect(303);
      expect(state.mail.enqueued.map(([id, to, by]) => [id, to, /^user:\d+$/.test(by ?? '')])).to.deep.equal([[invoice.id, 'praxis@example.net', true]]);
      const page = await billing.get(res.headers.location!).expect(200);
      expect(page.text).to.contain('The e-mail is queued');
      expect(page.text).to.match(/<table id="mail-history"[\s\S]*praxis@example\.net[\s\S]*pending/);
    });

    it('offers billing staff a retry of a failed e-mail, with its CSRF token, and read-only staff none', async () => {
      state.mail.failed.set(evilInvoice.id, [{ id: '77', to: 'old@example.net', status: 'failed', attempts: 5, lastError: '550 <mailbox unknown>', createdAt: new Date('2026-03-01T08:00:00Z'), sentAt: null }]);
      const page = await billing.get(`/invoices/${evilInvoice.id}`).expect(200);
      expect(page.text).to.match(/550 &lt;mailbox unknown&gt;[\s\S]*<form method="post" action="\/delivery\/emails\/77\/retry"[^>]*><input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="back" value="\/invoices\/\d+">/);
      expect((await readonly.get(`/invoices/${evilInvoice.id}`).expect(200)).text).not.to.contain('/delivery/emails/77/retry');
    });

    it('asks for an address when the account has none', async () => {
      const _csrf = await csrfOf(billing, `/invoices/${evilInvoice.id}`);
      const res = await billing.post(`/invoices/${evilInvoice.id}/resend`).type('form').send({ _csrf }).expect(422);
      expect(res.text).to.contain('the account has no e-mail address: give one');
    });
  });

  describe('billing runs', () => {
    it('start a preview of a due period and land on its progress, which refreshes while running', async () => {
      const _csrf = await csrfOf(billing, '/billing/runs');
      const res = await billing.post('/billing/runs').type('form').send({ _csrf, period: '2026-03-01', mode: 'preview' }).expect(303);
      expect(state.billing.calls[0]).to.deep.include({ method: 'start' });
      expect(state.billing.calls[0]!.args[1]).to.deep.include({ dryRun: true });
      const page = await readonly.get(res.headers.location!).expect(200);
      expect(page.headers.refresh).to.equal('2');
      expect(page.text).to.contain('this page refreshes every 2 seconds');
    });

    it('need a confirmation for the real run, and a due period', async () => {
      const _csrf = await csrfOf(billing, '/billing/runs');
      const res = await billing.post('/billing/runs').type('form').send({ _csrf, period: '2025-01-01', mode: 'run' }).expect(422);
      expect(res.text).to.match(/id="period-error">Period: choose one of the due periods: 2026-03-01, 2026-02-01/);
      expect(res.text).to.match(/id="confirm-error">Confirmation: tick the box/);
      expect(state.billing.calls).to.deep.equal([]);
      await billing.post('/billing/runs').type('form').send({ _csrf, period: '2026-02-01', mode: 'run', confirm: 'on' }).expect(303);
      expect(state.billing.calls[0]!.args).to.deep.equal(['2026-02-01', { dryRun: false, by: (state.billing.calls[0]!.args[1] as { by: string }).by }]);
    });

    it("show a finished dry run's totals, errors and preview rows, and stop refreshing", async () => {
      const run = state.billing.run({
        status: 'finished', finishedAt: new Date('2026-03-10T12:01:00Z'), accountsSeen: 2, invoicesIssued: 1, accountsFailed: 1,
        errors: [{ accountId: evilId, message: `account ${evilId}: <no tariff>` }],
        preview: [{ accountId, name: EVIL, currency: 'EUR', lines: 3, totalMinor: '11900', creditMinor: '0' }],
        totals: [{ currency: 'EUR', invoicedMinor: '11900', creditedMinor: '1190' }],
      });
      const page = await readonly.get(`/billing/runs/${run.id}`).expect(200);
      expect(page.headers.refresh).to.equal(undefined);
      expect(page.text).to.match(/<table id="totals"[\s\S]*119\.00 EUR[\s\S]*11\.90 EUR[\s\S]*107\.10 EUR/);
      expect(page.text).to.contain(`account ${evilId}: &lt;no tariff&gt;`);
      expect(page.text).to.match(/<table id="preview"[\s\S]*&lt;script&gt;[\s\S]*119\.00 EUR/);
      const list = await readonly.get('/billing/runs').expect(200);
      expect(list.text).to.contain(`href="/billing/runs/${run.id}"`);
      expect(list.text).not.to.contain('id="start-run"');
    });

    it('reconcile a period: "no differences" when clean, the differences otherwise', async () => {
      const clean = await readonly.get('/billing/reconcile?period=2026-02-01').expect(200);
      expect(clean.text).to.contain('No differences');
      state.billing.reconciliation = { periodKey: '2026-02-01', invoices: 2, differences: [{ invoiceNumber: 'INV-000001', serviceId: 4, billedBytes: '1000', usageBytes: '1500', adjustmentsBytes: '0', differenceBytes: '-500' }] };
      const diff = await readonly.get('/billing/reconcile?period=2026-02-01').expect(200);
      expect(diff.text).to.match(/<table id="differences"[\s\S]*INV-000001[\s\S]*1\.00 KB \(1000 B\)[\s\S]*-500 B \(-500 B\)/);
      state.billing.reconciliation = null;
      await readonly.get('/billing/reconcile?period=march').expect(422);
    });
  });

  describe("an account's billing page", () => {
    it('lists its invoices and credit notes, its balance net of credits, and says payments come later', async () => {
      const page = await readonly.get(`/accounts/${accountId}/billing`).expect(200);
      expect(page.text).to.match(/<table id="account-invoices"[\s\S]*INV-000001[\s\S]*<\/table>/);
      expect(page.text).to.match(/<table id="account-credit-notes"[\s\S]*CN-000001/);
      // Two open invoices minus one credit note, each the same document.
      const expected = (invoice.totalMinor * 2n - creditNote.totalMinor).toString().replace(/(\d\d)$/, '.$1');
      expect(page.text).to.match(new RegExp(`<table id="balance"[\\s\\S]*<strong>${expected} EUR</strong>`));
      expect(page.text).to.contain('Payments are not recorded yet');
      expect(page.text).to.match(/<svg [^>]*role="img"[\s\S]*Usage per day, 2026-03-01 to 2026-04-01/);
    });

    it('answers 404 for an account that does not exist', async () => {
      await readonly.get('/accounts/987654/billing').expect(404);
    });
  });

  describe('reports', () => {
    it('show revenue, top accounts, kinds of charge and usage per tariff, each with a chart and a CSV link', async () => {
      const page = await readonly.get('/reports?from=2026-01&to=2026-03&period=2026-02-01&top=5').expect(200);
      for (const id of ['revenue', 'customers', 'kinds', 'tariffs']) expect(page.text).to.match(new RegExp(`<section class="card" id="${id}">[\\s\\S]*?<svg `));
      expect(page.text).to.contain('Paid revenue comes with payments');
      expect(page.text).not.to.contain('<script>alert');
      expect(page.text).to.contain('/reports/revenue.csv?from=2026-01&amp;to=2026-03&amp;period=2026-02-01&amp;top=5');
    });

    it('export the revenue of each month of issue as CSV with exact amounts', async () => {
      const res = await readonly.get('/reports/revenue.csv?from=2026-01&to=2026-03').expect(200);
      expect(res.headers['content-type']).to.match(/^text\/csv/);
      const total = invoice.totalMinor * 3n - creditNote.totalMinor;
      const [header, row] = res.text.trim().split('\r\n');
      expect(header).to.equal('month,currency,invoices,credit_notes,net,tax,total,credited');
      expect(row).to.match(new RegExp(`^2026-02,EUR,3,1,[0-9.]+,[0-9.]+,${total.toString().replace(/(\d\d)$/, '.$1')},${creditNote.totalMinor.toString().replace(/(\d\d)$/, '.$1')}$`));
    });

    it('export the top accounts with names guarded against spreadsheet formulas', async () => {
      const res = await readonly.get('/reports/customers.csv?from=2026-01&to=2026-03&period=2026-02-01').expect(200);
      expect(res.text).to.contain(`${evilId},"<script>alert(""x"")</script> Praxis",EUR`);
    });

    it('refuse a bad selection with the field named', async () => {
      const res = await readonly.get('/reports?from=2026-13').expect(422);
      expect(res.text).to.match(/id="from-error">From month must be a month as YYYY-MM/);
      await readonly.get('/reports/tariffs.csv?top=1000').expect(422);
    });
  });

  it("the dashboard compares this period's invoiced total with the last one's", async () => {
    const page = await readonly.get('/').expect(200);
    const cur = invoice.totalMinor.toString().replace(/(\d\d)$/, '.$1');
    expect(page.text).to.match(new RegExp(`<section id="invoiced-this-period">[\\s\\S]*${cur.replace('.', '\\.')} EUR`));
  });
});
