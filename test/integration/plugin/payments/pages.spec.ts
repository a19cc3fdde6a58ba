import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { InvoiceRecord } from '../../../../plugin/invoicing/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../support/web.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

const EVIL = '<script>alert("x")</script> GmbH';

forEachDatabase('payment pages', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let readonly: Browser;
  let accountId: number;
  let jpyAccount: number;
  let invoice: InvoiceRecord;

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-10T12:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    const subs = plugin.services.subscribers.subscribers;
    accountId = (await subs.createAccount({ name: EVIL }, 'test')).id;
    jpyAccount = (await subs.createAccount({ name: 'Yen Customer', currency: 'JPY' }, 'test')).id;
    [invoice] = (await issue(plugin.ctx, plugin.services.invoicing.invoices, [newDocument(accountId, 'w1')])) as [InvoiceRecord];
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
  });
  after(async () => plugin?.close());

  const post = async (browser: Browser, form: Record<string, string>) => browser.post('/payments').type('form').send({ _csrf: await csrfOf(browser, '/payments'), method: 'cash', date: '2026-03-09', reference: '', ...form });

  it('records a payment typed as decimal text in the account currency, and lists it', async () => {
    const res = await post(billing, { accountId: String(accountId), amount: '50.00', reference: 'Receipt 12' });
    expect(res.status).to.equal(303);
    const page = await readonly.get('/payments').expect(200);
    expect(page.text).to.contain('50.00 EUR').and.to.contain('Receipt 12');
    expect(page.text).not.to.contain('<script>alert');
    expect(page.text).to.contain('&lt;script&gt;');
    expect(page.text).not.to.contain('id="record-payment"');
    const p = (await plugin.services.payments.list({ accountId })).rows[0]!;
    expect([p.amountMinor, p.method, p.source, p.receivedAt.toISOString()]).to.deep.equal([5000n, 'cash', 'manual', '2026-03-08T23:00:00.000Z']);
  });

  it('shows the form again with the field named for a bad amount, recording nothing', async () => {
    const before = (await plugin.services.payments.list({})).total;
    const tooPrecise = await post(billing, { accountId: String(jpyAccount), amount: '10.5' });
    expect(tooPrecise.status).to.equal(422);
    expect(tooPrecise.text).to.contain('JPY has no minor unit');
    const negative = await post(billing, { accountId: String(accountId), amount: '-3' });
    expect(negative.text).to.contain('Amount must be positive');
    const unknown = await post(billing, { accountId: '424242', amount: '3' });
    expect(unknown.text).to.contain('must be the id of an existing account');
    const future = await post(billing, { accountId: String(accountId), amount: '3', date: '2026-04-01' });
    expect(future.text).to.contain('cannot be in the future');
    expect((await plugin.services.payments.list({})).total).to.equal(before);
  });

  it('refuses a payment from read-only staff and a form without its CSRF token', async () => {
    expect((await post(readonly, { accountId: String(accountId), amount: '1' })).status).to.equal(403);
    expect((await billing.post('/payments').type('form').send({ accountId: String(accountId), amount: '1', method: 'cash', date: '2026-03-09' })).status).to.equal(403);
  });

  it('refunds credit with a reason from the statement page, and refuses more than the credit, keeping it', async () => {
    const a = (await plugin.services.subscribers.subscribers.createAccount({ name: 'Overpayer' }, 'test')).id;
    await plugin.services.payments.record({ accountId: a, amountMinor: 3000n, currency: 'EUR', method: 'cash', reference: null, receivedAt: new Date('2026-03-09T10:00:00Z'), source: 'manual', externalId: null }, 'test');
    const page = await billing.get(`/accounts/${a}/statement`).expect(200);
    expect(page.text).to.contain('30.00 EUR not allocated');
    const send = async (form: Record<string, string>) => billing.post(`/accounts/${a}/refunds`).type('form').send({ _csrf: await csrfOf(billing, `/accounts/${a}/statement`), paymentId: '', ...form });
    const tooMuch = await send({ amount: '30.01', reason: 'asked' });
    expect(tooMuch.status).to.equal(422);
    expect(tooMuch.text).to.contain('must be at most the credit, 30.00 EUR');
    expect((await send({ amount: '10.00', reason: '' })).text).to.contain('Reason: say why');
    expect((await plugin.services.payments.balance(a, '2026-03-10')).creditMinor).to.equal(3000n);
    expect((await send({ amount: '10.00', reason: 'customer moved away' })).status).to.equal(303);
    const b = await plugin.services.payments.balance(a, '2026-03-10');
    expect([b.creditMinor, b.refundedMinor]).to.deep.equal([2000n, 1000n]);
    expect((await readonly.post(`/accounts/${a}/refunds`).type('form').send({ _csrf: await csrfOf(readonly, '/payments'), amount: '1', reason: 'x' })).status).to.equal(403);
    expect((await readonly.get(`/accounts/${a}/statement`).expect(200)).text).not.to.contain('id="refund"');
  });

  it('shows the account statement with the running balance', async () => {
    const page = await readonly.get(`/accounts/${accountId}/statement`).expect(200);
    expect(page.text).to.contain(invoice.number!);
    const left = `${(invoice.totalMinor - 5000n).toString().replace(/(\d\d)$/, '.$1')} EUR`;
    expect(page.text).to.match(new RegExp(`id="balance-total">${left.replace('.', '\\.')}<`));
    expect((await readonly.get('/accounts/999999/statement')).status).to.equal(404);
  });
});
