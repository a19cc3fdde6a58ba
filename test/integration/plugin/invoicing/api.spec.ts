import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { InvoiceRecord } from '../../../../plugin/invoicing/invoices.repository.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { FakeBilling, FakeMail, issue, newDocument, withInvoicing, type Invoicing } from './web/fixtures.js';

type Method = 'get' | 'post';

forEachDatabase('invoices and billing runs REST API', (dialect) => {
  let plugin: TestPlugin;
  let state: Invoicing;
  let billingToken: string;
  let readonlyToken: string;
  let accountId: number;
  let invoice: InvoiceRecord;
  let creditNote: InvoiceRecord;

  /** Every response these specs receive is checked against plugin/api/openapi.yaml. */
  async function call(method: Method, path: string, token: string | null, body?: unknown) {
    let r = request(plugin.app)[method](path);
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    const res = body === undefined ? await r : await r.send(body as object);
    return expectValidResponse(res);
  }

  before(async () => {
    state = { billing: new FakeBilling(), mail: new FakeMail() };
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-10T12:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } }, modules: withInvoicing(state) });
    const subs = plugin.services.subscribers.subscribers;
    const a = await subs.createAccount({ name: 'API Customer' }, 'test');
    const sv = await subs.createService(a.id, { login: 'api-1' }, 'test');
    accountId = a.id;
    [invoice] = (await issue(plugin.ctx, state.invoices!, [newDocument(a.id, 'k1', { serviceId: sv.id })])) as [InvoiceRecord];
    [creditNote] = (await issue(plugin.ctx, state.invoices!, [newDocument(a.id, 'k2', { type: 'credit_note', corrects: { id: invoice.id, number: invoice.number! } })])) as [InvoiceRecord];
    billingToken = (await plugin.ctx.services.auth.createApiToken({ name: 'erp', role: 'billing' }, 'test')).token;
    readonlyToken = (await plugin.ctx.services.auth.createApiToken({ name: 'bi', role: 'readonly' }, 'test')).token;
  });
  after(async () => plugin?.close());
  beforeEach(() => {
    state.billing.calls = [];
  });

  it('answers 401 without a token', async () => {
    expect((await call('get', '/api/v1/invoices', null)).status).to.equal(401);
  });

  it('lists invoices with filters and paging, amounts as minor-unit strings', async () => {
    const all = await call('get', '/api/v1/invoices', readonlyToken);
    expect(all.status).to.equal(200);
    expect(all.body.total).to.equal(2);
    expect(all.body.items.map((i: { number: string }) => i.number)).to.deep.equal(['CN-000001', 'INV-000001']);
    const only = await call('get', `/api/v1/invoices?type=invoice&accountId=${accountId}&period=2026-02-01&limit=1&offset=0`, readonlyToken);
    expect(only.body).to.deep.include({ total: 1, limit: 1, offset: 0 });
    expect(only.body.items[0]).to.deep.include({ id: invoice.id, number: 'INV-000001', type: 'invoice', status: 'issued', currency: 'EUR', netMinor: '8340', taxMinor: '1585', totalMinor: '9925', issueDate: '2026-02-01' });
    const page2 = await call('get', '/api/v1/invoices?limit=1&offset=1', readonlyToken);
    expect(page2.body.items.map((i: { number: string }) => i.number)).to.deep.equal(['INV-000001']);
  });

  it('names every bad filter with 422', async () => {
    const res = await call('get', '/api/v1/invoices?status=lost&issuedFrom=02/01/2026&limit=0', readonlyToken);
    expect(res.status).to.equal(422);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['status', 'issuedFrom', 'limit']);
  });

  it('gives one invoice with its lines, taxes, totals and billed usage', async () => {
    const res = await call('get', `/api/v1/invoices/${invoice.id}`, readonlyToken);
    expect(res.status).to.equal(200);
    expect(res.body.lines.map((l: { position: number; kind: string; amountMinor: string; taxMinor: string }) => [l.position, l.kind, l.amountMinor, l.taxMinor])).to.deep.equal([
      [1, 'usage', '250', '48'],
      [2, 'one_off', '4990', '948'],
      [3, 'recurring_fee', '3100', '589'],
    ]);
    expect(res.body.lines[0].tariff).to.deep.equal({ code: 'HOME-100', version: 1 });
    expect(res.body.totals).to.deep.equal({ currency: 'EUR', netMinor: '8340', taxMinor: '1585', totalMinor: '9925' });
    expect(res.body.taxes).to.deep.equal([{ name: 'VAT', percent: '19', exemptReason: null, netMinor: '8340', taxMinor: '1585', grossMinor: '9925' }]);
    expect(res.body.usage).to.have.length(1);
    expect(res.body.usage[0]).to.deep.include({ kind: 'window', downloadBytes: '120000000000', uploadBytes: '5000000000' });
    const cn = await call('get', `/api/v1/invoices/${creditNote.id}`, readonlyToken);
    expect(cn.body.corrects).to.deep.equal({ id: invoice.id, number: 'INV-000001' });
  });

  it('answers 404 for an unknown invoice and 422 for a bad id', async () => {
    expect((await call('get', '/api/v1/invoices/424242', readonlyToken)).status).to.equal(404);
    expect((await call('get', '/api/v1/invoices/abc', readonlyToken)).status).to.equal(422);
  });

  it('issues a credit note for chosen lines with a billing token, answering 201 with the new document', async () => {
    state.billing.nextCreditNote = { creditNoteId: creditNote.id, number: creditNote.number! };
    const res = await call('post', `/api/v1/invoices/${invoice.id}/credit-notes`, billingToken, { reason: 'Installation refunded', lines: [2] });
    expect(res.status).to.equal(201);
    expect(res.headers.location).to.equal(`/api/v1/invoices/${creditNote.id}`);
    expect(res.body).to.deep.include({ id: creditNote.id, type: 'credit_note', creditedInvoiceId: invoice.id });
    expect(state.billing.calls[0]!.args[1]).to.deep.include({ reason: 'Installation refunded', lines: [2] });
    expect((state.billing.calls[0]!.args[1] as { by: string }).by).to.match(/^token:\d+$/);
  });

  it('refuses a credit note to a read-only token (403) and a bad request (422), issuing nothing', async () => {
    expect((await call('post', `/api/v1/invoices/${invoice.id}/credit-notes`, readonlyToken, { reason: 'x' })).status).to.equal(403);
    const bad = await call('post', `/api/v1/invoices/${invoice.id}/credit-notes`, billingToken, { reason: '', lines: [0], void: 'yes' });
    expect(bad.status).to.equal(422);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['reason', 'lines', 'void']);
    expect((await call('post', '/api/v1/invoices/999999/credit-notes', billingToken, { reason: 'x' })).status).to.equal(404);
    expect(state.billing.calls).to.deep.equal([]);
  });

  it('starts a dry run of a due period (202) and reports its progress', async () => {
    const res = await call('post', '/api/v1/billing-runs', billingToken, { period: '2026-03-01', dryRun: true });
    expect(res.status).to.equal(202);
    expect(res.headers.location).to.equal(`/api/v1/billing-runs/${res.body.id}`);
    expect(res.body).to.deep.include({ periodKey: '2026-03-01', dryRun: true, status: 'running', failure: null });
    const one = await call('get', `/api/v1/billing-runs/${res.body.id}`, readonlyToken);
    expect(one.body.id).to.equal(res.body.id);
    const list = await call('get', '/api/v1/billing-runs?limit=5', readonlyToken);
    expect(list.body.items.map((r: { id: string }) => r.id)).to.include(res.body.id);
  });

  it('refuses a run without an explicit dryRun or for a period that is not due, and a read-only token', async () => {
    const res = await call('post', '/api/v1/billing-runs', billingToken, { period: '2025-01-01' });
    expect(res.status).to.equal(422);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['dryRun', 'period']);
    expect((await call('post', '/api/v1/billing-runs', readonlyToken, { period: '2026-03-01', dryRun: false })).status).to.equal(403);
    expect(state.billing.calls).to.deep.equal([]);
    expect((await call('get', '/api/v1/billing-runs/777', readonlyToken)).status).to.equal(404);
    expect((await call('get', '/api/v1/billing-runs?limit=x', readonlyToken)).status).to.equal(422);
  });

  it('describes a finished run with its totals, errors and preview', async () => {
    const run = state.billing.run({ status: 'failed', failure: 'database went away', finishedAt: new Date('2026-03-10T12:05:00Z'), errors: [{ accountId, message: 'no tariff' }], preview: [{ accountId, name: 'API Customer', currency: 'EUR', lines: 3, totalMinor: '9925', creditMinor: '0' }], totals: [{ currency: 'EUR', invoicedMinor: '9925', creditedMinor: '0' }] });
    const res = await call('get', `/api/v1/billing-runs/${run.id}`, readonlyToken);
    expect(res.body).to.deep.include({ status: 'failed', failure: 'database went away', finishedAt: '2026-03-10T12:05:00.000Z' });
    expect(res.body.totals).to.deep.equal([{ currency: 'EUR', invoicedMinor: '9925', creditedMinor: '0' }]);
  });
});
