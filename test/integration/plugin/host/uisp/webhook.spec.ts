import express from 'express';
import request from 'supertest';
import { expect } from 'chai';
import { ManualClock } from '../../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../../plugin/common/logger.js';
import type { BlockingState, BlockingTarget } from '../../../../../plugin/host/platform.js';
import { UispClient, uispPaymentRecorder, uispWebhookRoutes, UISP_PAYMENT_SOURCE, type UispWebhookPorts } from '../../../../../plugin/host/uisp/index.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { startUispFake, type UispFake } from '../../../../support/uisp-fake/server.js';

/** The blueprint's example webhook event: payment 1 (USD 10.00) inserted. */
const EVENT = { uuid: '2c6984d7-03ae-4e48-a212-7b99378837a2', changeType: 'insert', entity: 'payment', entityId: 1, eventName: 'payment.add', extraData: {} };

forEachDatabase('UISP CRM webhooks', (dialect) => {
  let plugin: TestPlugin;
  let crm: UispFake;
  let app: express.Express;
  let accountId: number;
  let mirrored: Array<[BlockingTarget, BlockingState]>;
  let resynced: string[];
  /** Each test has its own CRM client (the fixture's, renumbered) and the Octet account of it. */
  let clientId: number;
  let seq = 0;

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-20T10:00:00Z'), config: { billing: { currency: 'USD' } } });
  });
  after(async () => plugin?.close());

  beforeEach(async () => {
    crm = await startUispFake();
    clientId = 1000 + ++seq;
    crm.clients[0]!.id = clientId;
    crm.services[0]!.clientId = clientId;
    crm.payments[0]!.clientId = clientId;
    accountId = (await plugin.services.subscribers.subscribers.createAccount({ name: 'John Doe', currency: 'USD', externalId: String(clientId) }, 'test')).id;
    mirrored = [];
    resynced = [];
    const subscribers = plugin.services.subscribers.subscribers;
    const ports: UispWebhookPorts = {
      recordPayment: uispPaymentRecorder({
        payments: plugin.services.payments,
        accountIdOf: async (externalId) => (await subscribers.listAccounts({ externalId }, 1)).items[0]?.id ?? null,
      }),
      mirrorBlocking: async (target, state) => void mirrored.push([target, state]),
      resyncCustomer: async (id) => void resynced.push(id),
    };
    const client = new UispClient({ url: crm.url, appKey: crm.readKey, appKeyType: 'read', retries: 0 });
    app = express().use(uispWebhookRoutes({ client, ports, logger: nullLogger }));
  });
  afterEach(async () => crm.close());

  const payments = async () => (await plugin.services.payments.list({ accountId })).rows;
  const deliver = (body: unknown) => request(app).post('/host/uisp/webhook').set('Content-Type', 'application/json').send(JSON.stringify(body));

  it('records a confirmed payment.add once, with the CRM amount, even when it is delivered twice', async () => {
    const first = await deliver(EVENT);
    const second = await deliver(EVENT);
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ status: 'done', action: 'payment recorded' });
    expect(second.status).to.equal(200);
    expect(second.body).to.include({ status: 'done', action: 'payment already recorded' });
    const list = await payments();
    expect(list).to.have.length(1);
    expect(list[0]).to.include({ amountMinor: 1000n, currency: 'USD', source: UISP_PAYMENT_SOURCE, externalId: '1', reference: 'Paid in coins.' });
    // Both deliveries were checked with the CRM before anything else was read.
    expect(crm.requests.filter((r) => r.path === `webhook-events/${EVENT.uuid}`)).to.have.length(2);
  });

  it('ignores a forged event whose uuid the CRM does not know: 202, nothing recorded, the payment never read', async () => {
    const res = await deliver({ ...EVENT, uuid: '11111111-2222-4333-8444-555555555555', entityId: 1 });
    expect(res.status).to.equal(202);
    expect(res.body).to.include({ status: 'ignored', reason: 'the CRM does not know this event' });
    expect(await payments()).to.have.length(0);
    expect(crm.requests.some((r) => r.path.startsWith('payments'))).to.equal(false);
  });

  it('refuses a real uuid carrying another entity id: 400, nothing recorded', async () => {
    crm.payments.push({ ...crm.payments[0]!, id: 2, amount: 500.0 });
    const res = await deliver({ ...EVENT, entityId: 2 });
    expect(res.status).to.equal(400);
    expect(res.body).to.include({ status: 'mismatch' });
    expect(await payments()).to.have.length(0);
  });

  it('refuses a body that is not a CRM event (no uuid, not JSON) with 400 and asks the CRM nothing', async () => {
    expect((await deliver({ entity: 'payment', entityId: 1 })).status).to.equal(400);
    const notJson = await request(app).post('/host/uisp/webhook').set('Content-Type', 'application/json').send('{"uuid":');
    expect(notJson.status).to.equal(400);
    expect(crm.requests).to.have.length(0);
    expect(await payments()).to.have.length(0);
  });

  it('answers 503 and records nothing when the CRM cannot confirm the event (the sender may retry)', async () => {
    crm.failNext(500, 1);
    const res = await deliver(EVENT);
    expect(res.status).to.equal(503);
    expect(await payments()).to.have.length(0);
  });

  it('mirrors a confirmed service.suspend from the service state the CRM reports, not from the body', async () => {
    crm.services[0]!.status = 3;
    crm.webhookEvents.push({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'suspend', entity: 'service', entityId: 1 });
    const res = await deliver({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'suspend', entity: 'service', entityId: 1, eventName: 'service.suspend' });
    expect(res.status).to.equal(200);
    expect(mirrored).to.deep.equal([[{ customerExternalId: String(clientId), serviceExternalId: '1' }, 'blocked']]);
    crm.services[0]!.status = 1;
    crm.webhookEvents.push({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff', changeType: 'suspend_cancel', entity: 'service', entityId: 1 });
    await deliver({ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff', changeType: 'suspend_cancel', entity: 'service', entityId: 1, eventName: 'service.suspend_cancel' });
    expect(mirrored[1]).to.deep.equal([{ customerExternalId: String(clientId), serviceExternalId: '1' }, 'active']);
  });

  it('resyncs the client of a confirmed client.edit', async () => {
    crm.webhookEvents.push({ uuid: 'cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'edit', entity: 'client', entityId: clientId });
    const res = await deliver({ uuid: 'cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'edit', entity: 'client', entityId: clientId, eventName: 'client.edit' });
    expect(res.status).to.equal(200);
    expect(resynced).to.deep.equal([String(clientId)]);
  });

  it('ignores a confirmed payment of a client Octet has no account for: 202, nothing recorded', async () => {
    crm.payments.push({ ...crm.payments[0]!, id: 7, clientId: 4242 });
    crm.webhookEvents.push({ uuid: 'dddddddd-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'insert', entity: 'payment', entityId: 7 });
    const res = await deliver({ uuid: 'dddddddd-bbbb-4ccc-8ddd-eeeeeeeeeeee', changeType: 'insert', entity: 'payment', entityId: 7, eventName: 'payment.add' });
    expect(res.status).to.equal(202);
    expect(res.body.reason).to.equal('no Octet account for UISP client 4242');
    expect(await payments()).to.have.length(0);
  });
});
