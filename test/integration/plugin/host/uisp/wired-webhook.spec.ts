import express from 'express';
import request from 'supertest';
import { expect } from 'chai';
import { nullLogger } from '../../../../../plugin/common/logger.js';
import { mountUispWebhook, type UispPlatform } from '../../../../../plugin/host/uisp/index.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { startUispFake, type UispFake } from '../../../../support/uisp-fake/server.js';

/**
 * The webhook wired as the composition root would wire it: host: uisp in the config, the host
 * sync the plugin built, the payments module, enforcement. CRM client 1000 with service 1
 * (login john.doe@pppoe) and payment 1 (USD 10.00) are the blueprint's examples.
 */
forEachDatabase('UISP CRM webhooks through the host sync', (dialect) => {
  let crm: UispFake;
  let plugin: TestPlugin;
  let app: express.Express;

  // One plugin for the block (migrating MariaDB per test is slow); the tests run in order on it.
  before(async function () {
    this.timeout(90_000);
    crm = await startUispFake();
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'USD' }, host: { kind: 'uisp', url: crm.url, appKey: crm.readKey, signingKey: 'k'.repeat(40) } } });
    const host = plugin.services.host;
    app = express();
    mountUispWebhook(app, { platform: host.platform as UispPlatform, sync: host.sync!, payments: plugin.services.payments, subscribers: plugin.services.subscribers.subscribers, logger: nullLogger });
  });
  after(async () => {
    await plugin?.close();
    await crm?.close();
  });

  const deliver = (body: unknown) => request(app).post('/host/uisp/webhook').send(body as object);

  it('records a confirmed payment of a client not synced yet: the client is synced first, the payment recorded once', async () => {
    const event = { uuid: '2c6984d7-03ae-4e48-a212-7b99378837a2', changeType: 'insert', entity: 'payment', entityId: 1, eventName: 'payment.add' };
    expect((await deliver(event)).body).to.include({ action: 'payment recorded' });
    expect((await deliver(event)).body).to.include({ action: 'payment already recorded' });
    const account = (await plugin.services.subscribers.subscribers.listAccounts({ externalId: 'uisp:1000' }, 1)).items[0]!;
    expect(account.name).to.equal('John Doe');
    const { rows } = await plugin.services.payments.list({ accountId: account.id });
    expect(rows.map((p) => [p.amountMinor, p.source, p.externalId])).to.deep.equal([[1000n, 'uisp', '1']]);
  });

  it('suspends the Octet service when the CRM confirms service.suspend, and restores it on suspend_cancel', async () => {
    await plugin.services.host.sync!.runOnce({ force: true });
    const service = (await plugin.services.subscribers.subscribers.listServices({}, 10)).items.find((s) => s.login === 'john.doe@pppoe')!;
    const desired = async () => (await plugin.services.enforcement.stateOf([service.id])).get(service.id)?.desired ?? 'active';

    crm.services[0]!.status = 3;
    crm.clients[0]!.hasSuspendedService = true;
    crm.webhookEvents.push({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'suspend', entity: 'service', entityId: 1 });
    expect((await deliver({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'suspend', entity: 'service', entityId: 1, eventName: 'service.suspend' })).status).to.equal(200);
    expect(await desired()).to.equal('suspended');

    crm.services[0]!.status = 1;
    crm.clients[0]!.hasSuspendedService = false;
    crm.webhookEvents.push({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff', changeType: 'suspend_cancel', entity: 'service', entityId: 1 });
    await deliver({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff', changeType: 'suspend_cancel', entity: 'service', entityId: 1, eventName: 'service.suspend_cancel' });
    expect(await desired()).to.equal('active');
  });

  it('changes no enforcement for a forged service.suspend the CRM does not know, even while the CRM shows the service suspended', async () => {
    const service = (await plugin.services.subscribers.subscribers.listServices({}, 10)).items.find((s) => s.login === 'john.doe@pppoe')!;
    const before = (await plugin.services.enforcement.stateOf([service.id])).get(service.id);
    crm.services[0]!.status = 3;
    crm.clients[0]!.hasSuspendedService = true;
    const res = await deliver({ uuid: 'bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'suspend', entity: 'service', entityId: 1, eventName: 'service.suspend' });
    expect(res.status).to.equal(202);
    expect((await plugin.services.enforcement.stateOf([service.id])).get(service.id)).to.deep.equal(before);
    expect(before?.desired).to.equal('active');
  });
});
