import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

forEachDatabase('the standalone host (Octet is its own platform)', (dialect) => {
  let plugin: TestPlugin;
  let accountId: number;
  let serviceId: number;
  before(async function () {
    this.timeout(90_000);
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-02T09:00:00Z'), config: { billing: { currency: 'EUR' } } });
    const subs = plugin.services.subscribers.subscribers;
    const a = await subs.createAccount({ name: 'Ada Lovelace', currency: 'EUR', email: 'ada@example.net' }, 'user:1');
    accountId = a.id;
    serviceId = (await subs.createService(a.id, { login: 'ada@pppoe', startDate: '2026-01-01' }, 'user:1')).id;
  });
  after(async () => plugin?.close());

  it('owns nothing elsewhere and has no sync', () => {
    expect(plugin.services.host.platform.kind).to.equal('standalone');
    expect(plugin.services.host.owns).to.deep.equal({ customers: false, finance: false, blocking: false });
    expect(plugin.services.host.sync).to.equal(null);
  });

  it('lists its own accounts and services as the customers and services', async () => {
    const host = plugin.services.host.platform;
    const customers = await host.listCustomers({});
    expect(customers.items.map((c) => [c.externalId, c.name, c.status])).to.deep.equal([[String(accountId), 'Ada Lovelace', 'active']]);
    const services = await host.listServices({ customerExternalId: String(accountId) });
    expect(services.items.map((s) => [s.externalId, s.login, s.status])).to.deep.equal([[String(serviceId), 'ada@pppoe', 'active']]);
    expect(await host.getCustomer('999999')).to.equal(null);
  });

  it('blocks through enforcement desired state and reads it back', async () => {
    const host = plugin.services.host.platform;
    await host.setBlocking({ customerExternalId: String(accountId) }, 'blocked', 'test block');
    expect((await plugin.services.enforcement.stateOf([serviceId])).get(serviceId)!.desired).to.equal('suspended');
    expect(await host.getBlocking({ customerExternalId: String(accountId) })).to.equal('blocked');
    await host.setBlocking({ customerExternalId: String(accountId) }, 'active', 'test unblock');
    expect(await host.getBlocking({ customerExternalId: String(accountId) })).to.equal('active');
  });

  it('reads its own payments, and posts no charge anywhere (its invoices carry them)', async () => {
    await plugin.services.payments.record({ accountId, amountMinor: 1234n, currency: 'EUR', method: 'cash', reference: 'R1', receivedAt: new Date('2026-03-01T10:00:00Z'), source: 'manual', externalId: null }, 'user:1');
    const host = plugin.services.host.platform;
    const page = await host.readPayments({});
    expect(page.items.map((p) => [p.customerExternalId, p.amountMinor, p.currency, p.date])).to.deep.equal([[String(accountId), 1234n, 'EUR', '2026-03-01']]);
    const posted = await host.postCharges([{ key: 'k1', customerExternalId: String(accountId), serviceExternalId: null, description: 'x', quantity: '1', unit: null, amountMinor: 100n, taxPercent: '0', currency: 'EUR', date: '2026-03-01', periodFrom: null, periodTo: null }]);
    expect(posted).to.deep.equal([{ key: 'k1', externalId: 'k1', duplicate: true }]);
    expect(await host.identifyStaff({ query: { sash: 'abcdefabcdef' }, headers: {} })).to.equal(null);
  });
});
