import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

forEachDatabase('REST API: accounts with their network status and balance', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let accountId: number;
  let serviceId: number;
  let total: bigint;

  /** Every response is checked against plugin/api/openapi.yaml. */
  const call = async (method: 'get', path: string) => expectValidResponse(await request(plugin.app)[method](path).set('Authorization', `Bearer ${token}`));

  before(async function () {
    this.timeout(90_000);
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-20T10:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    token = (await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'readonly' }, 'test')).token;
    const subs = plugin.services.subscribers.subscribers;
    accountId = (await subs.createAccount({ name: 'Standing Customer', currency: 'EUR' }, 'test')).id;
    serviceId = (await subs.createService(accountId, { login: 'standing-1', nasName: 'router-1', startDate: '2026-01-01' }, 'test')).id;
    const [invoice] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [{ ...newDocument(accountId, 'standing'), dueDate: '2026-02-15' }]);
    total = invoice!.totalMinor;
  });
  after(async () => plugin?.close());

  it('shows an account with an overdue invoice as active on the network, owing the invoice', async () => {
    const res = await call('get', `/api/v1/accounts/${accountId}`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: accountId, status: 'active', networkStatus: 'active' });
    expect(res.body.balance).to.deep.equal({ currency: 'EUR', balanceMinor: total.toString(), openMinor: total.toString(), overdueMinor: total.toString(), creditMinor: '0' });
  });

  it('shows it suspended once enforcement suspends a service, in the list too, while its administrative status stays active', async () => {
    await plugin.services.enforcement.setDesired({ serviceIds: [serviceId], desired: 'suspended', cause: { kind: 'dunning', detail: 'overdue', actor: 'system:dunning' } });
    const one = await call('get', `/api/v1/accounts/${accountId}`);
    expect([one.body.status, one.body.networkStatus]).to.deep.equal(['active', 'suspended']);
    const list = await call('get', '/api/v1/accounts?q=Standing');
    expect(list.body.items.map((a: { id: number; networkStatus: string; balance: { balanceMinor: string } }) => [a.id, a.networkStatus, a.balance.balanceMinor])).to.deep.equal([[accountId, 'suspended', total.toString()]]);
  });

  it('shows the balance settled after a payment of the invoice', async () => {
    await plugin.services.payments.record({ accountId, amountMinor: total, currency: 'EUR', method: 'bank_transfer', reference: 'paid', receivedAt: plugin.clock.now(), source: 'manual', externalId: null }, 'test');
    const res = await call('get', `/api/v1/accounts/${accountId}`);
    expect(res.body.balance).to.include({ balanceMinor: '0', overdueMinor: '0', openMinor: '0' });
  });
});
