import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { InvoiceRecord } from '../../../../plugin/invoicing/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

forEachDatabase('payments REST API', (dialect) => {
  let plugin: TestPlugin;
  let billingToken: string;
  let readonlyToken: string;
  let accountId: number;
  let older: InvoiceRecord;
  let newer: InvoiceRecord;

  /** Every response is checked against plugin/api/openapi.yaml. */
  async function call(method: 'get' | 'post', path: string, token: string | null, body?: unknown) {
    let r = request(plugin.app)[method](path);
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    const res = body === undefined ? await r : await r.send(body as object);
    return expectValidResponse(res);
  }

  const payment = (over: Record<string, unknown> = {}) => ({ accountId, amountMinor: '12000', currency: 'EUR', method: 'bank_transfer', reference: 'SEPA 77', receivedAt: '2026-03-10T09:30:00Z', externalId: 'bank-1', source: 'erp', ...over });

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-10T12:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    accountId = (await plugin.services.subscribers.subscribers.createAccount({ name: 'API Payer' }, 'test')).id;
    const inv = plugin.services.invoicing.invoices;
    [older] = (await issue(plugin.ctx, inv, [{ ...newDocument(accountId, 'p1'), dueDate: '2026-02-15' }])) as [InvoiceRecord];
    [newer] = (await issue(plugin.ctx, inv, [{ ...newDocument(accountId, 'p2', { periodKey: '2026-03-01' }), dueDate: '2026-03-15' }])) as [InvoiceRecord];
    billingToken = (await plugin.ctx.services.auth.createApiToken({ name: 'erp', role: 'billing' }, 'test')).token;
    readonlyToken = (await plugin.ctx.services.auth.createApiToken({ name: 'bi', role: 'readonly' }, 'test')).token;
  });
  after(async () => plugin?.close());

  it('answers 401 without a token and 403 to a read-only token that records a payment', async () => {
    expect((await call('get', '/api/v1/payments', null)).status).to.equal(401);
    expect((await call('post', '/api/v1/payments', readonlyToken, payment())).status).to.equal(403);
    expect((await call('get', `/api/v1/payments?accountId=${accountId}`, readonlyToken)).body.total).to.equal(0);
  });

  it('records a payment (201), allocated oldest first, and answers the same payment with 200 when it is sent again', async () => {
    const res = await call('post', '/api/v1/payments', billingToken, payment());
    expect(res.status).to.equal(201);
    expect(res.body.duplicate).to.equal(false);
    expect(res.body.payment).to.deep.include({ accountId, amountMinor: '12000', currency: 'EUR', method: 'bank_transfer', source: 'erp', externalId: 'bank-1', status: 'recorded', allocatedMinor: '12000', creditMinor: '0', receivedAt: '2026-03-10T09:30:00.000Z' });
    expect(res.body.payment.createdBy).to.match(/^token:\d+$/);
    expect((await plugin.services.invoicing.invoices.get(older.id)).status).to.equal('paid');
    const again = await call('post', '/api/v1/payments', billingToken, payment());
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.include({ duplicate: true });
    expect(again.body.payment.id).to.equal(res.body.payment.id);
    const list = await call('get', `/api/v1/payments?accountId=${accountId}`, readonlyToken);
    expect(list.body).to.deep.include({ total: 1, limit: 50, offset: 0 });
  });

  it('gives the balance and the statement with a running balance', async () => {
    const b = await call('get', `/api/v1/accounts/${accountId}/balance`, readonlyToken);
    expect(b.status).to.equal(200);
    const total = (older.totalMinor + newer.totalMinor).toString();
    const left = (older.totalMinor + newer.totalMinor - 12000n).toString();
    expect(b.body).to.deep.equal({ accountId, currency: 'EUR', invoicedMinor: total, creditedMinor: '0', paidMinor: '12000', refundedMinor: '0', balanceMinor: left, creditMinor: '0', openMinor: left, overdueMinor: '0' });
    const s = await call('get', `/api/v1/accounts/${accountId}/statement`, readonlyToken);
    expect(s.body.lines.map((l: { kind: string; balanceMinor: string }) => [l.kind, l.balanceMinor])).to.deep.equal([
      ['invoice', older.totalMinor.toString()],
      ['invoice', total],
      ['payment', left],
    ]);
  });

  it('names every bad field with 422 and records nothing', async () => {
    const bad = await call('post', '/api/v1/payments', billingToken, { accountId: 0, amountMinor: 12.5, currency: 'eur', method: 'cheque', receivedAt: '2026-03-10', externalId: '', extra: 1 });
    expect(bad.status).to.equal(422);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['extra', 'accountId', 'amountMinor', 'currency', 'method', 'receivedAt', 'externalId']);
    const negative = await call('post', '/api/v1/payments', billingToken, payment({ amountMinor: '-5', externalId: 'bank-2' }));
    expect(negative.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['amountMinor']);
    const unknown = await call('post', '/api/v1/payments', billingToken, payment({ accountId: 99999, externalId: 'bank-3' }));
    expect([unknown.status, unknown.body.error.issues[0].field]).to.deep.equal([422, 'accountId']);
    const currency = await call('post', '/api/v1/payments', billingToken, payment({ currency: 'USD', externalId: 'bank-4' }));
    expect([currency.status, currency.body.error.message]).to.deep.equal([422, `account ${accountId} is billed in EUR, not USD`]);
    expect((await call('get', `/api/v1/payments?accountId=${accountId}`, readonlyToken)).body.total).to.equal(1);
    expect((await call('get', '/api/v1/payments?accountId=x&limit=0', readonlyToken)).status).to.equal(422);
  });

  it('refunds a payment’s credit and an account’s credit with a reason, refusing more than is held (409) and bad input (422)', async () => {
    const over = await call('post', '/api/v1/payments', billingToken, payment({ amountMinor: '100000', externalId: 'bank-over' }));
    const id = over.body.payment.id as string;
    const credit = BigInt(over.body.payment.creditMinor);
    expect(credit > 0n).to.equal(true);
    expect((await call('post', `/api/v1/payments/${id}/refunds`, billingToken, { amountMinor: (credit + 1n).toString(), reason: 'x' })).status).to.equal(409);
    const bad = await call('post', `/api/v1/payments/${id}/refunds`, billingToken, { amountMinor: '0', reason: '' });
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['amountMinor', 'reason']);
    expect((await call('post', `/api/v1/payments/${id}/refunds`, readonlyToken, { amountMinor: '1', reason: 'x' })).status).to.equal(403);
    const one = await call('post', `/api/v1/payments/${id}/refunds`, billingToken, { amountMinor: '100', reason: 'overpaid' });
    expect(one.status).to.equal(201);
    expect(one.body).to.deep.include({ status: 'part_refunded', refundedMinor: '100', creditMinor: (credit - 100n).toString() });
    const rest = await call('post', `/api/v1/accounts/${accountId}/refunds`, billingToken, { amountMinor: (credit - 100n).toString(), reason: 'the rest' });
    expect(rest.status).to.equal(201);
    expect(rest.body).to.deep.include({ creditMinor: '0', refundedMinor: credit.toString() });
    expect((await call('post', '/api/v1/accounts/99999/refunds', billingToken, { amountMinor: '1', reason: 'x' })).status).to.equal(404);
    expect((await call('post', '/api/v1/payments/99999/refunds', billingToken, { amountMinor: '1', reason: 'x' })).status).to.equal(404);
  });

  it('answers 404 for the balance of an unknown account and 422 for a bad id', async () => {
    expect((await call('get', '/api/v1/accounts/99999/balance', readonlyToken)).status).to.equal(404);
    expect((await call('get', '/api/v1/accounts/abc/statement', readonlyToken)).status).to.equal(422);
  });
});
