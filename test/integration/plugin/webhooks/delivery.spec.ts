import { expect } from 'chai';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidWebhook } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { closedPortUrl, Receiver } from './receiver.js';

const fibre = { code: 'FIBRE-50', name: 'Fibre 50', currency: 'EUR', recurringFee: '30.00' };

forEachDatabase('webhooks out: delivery', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let receiver: Receiver;
  let account: { accountId: number; serviceId: number };

  const webhooks = () => plugin.services.webhooks;
  const pass = () => webhooks().worker.runOnce();
  async function endpoint(events: string[], url = receiver.url) {
    const made = await webhooks().service.createEndpoint({ url, events }, 'user:1');
    receiver.secret = made.secret;
    return made.endpoint;
  }
  const deliveriesOf = async (endpointId: number) => (await webhooks().service.deliveries({ endpointId }, { limit: 100, offset: 0 })).rows;
  const pay = (amountMinor: bigint, reference: string) =>
    plugin.services.payments.record({ accountId: account.accountId, amountMinor, currency: 'EUR', method: 'bank_transfer', reference, receivedAt: clock.now(), source: 'manual', externalId: null }, 'user:1');

  before(async function () {
    this.timeout(90_000);
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', schedule: { enabled: false } }, webhooks: { maxAttempts: 3, baseDelaySeconds: 10, maxDelaySeconds: 60 } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-11-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Ada Example', email: 'ada@example.net', currency: 'EUR' }, 'user:1');
    const s = await subscribers.createService(a.id, { login: 'ada', tariff: 'FIBRE-50', startDate: '2026-11-01' }, 'user:1');
    account = { accountId: a.id, serviceId: s.id };
  });
  beforeEach(async () => {
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    // Whatever a receiver got is what the OpenAPI document's `webhooks` section says it gets.
    for (const r of receiver.received) expectValidWebhook(r.json.type, r.json);
    for (const e of await webhooks().service.endpoints()) await webhooks().service.deleteEndpoint(e.id, 'user:1');
    await receiver.stop();
  });
  after(async () => plugin?.close());

  it('posts one signed invoice.issued for an invoice a billing run issues', async () => {
    const e = await endpoint(['invoice.issued']);
    clock.set('2026-12-01T05:00:00Z');
    const run = await plugin.services.invoicing.billing.run('2026-12', { dryRun: false, by: 'user:1' });
    expect(run.invoicesIssued).to.equal(1);
    const r = await pass();
    expect(r).to.include({ dispatched: 1, delivered: 1 });
    expect(receiver.received).to.have.length(1);
    const got = receiver.received[0]!;
    expect(got.signatureValid, 'the receiver verifies the signature with its own code').to.equal(true);
    expect(got.timestamp).to.equal(Math.floor(clock.now().getTime() / 1000));
    const invoice = (await plugin.services.invoicing.invoices.list({ accountId: account.accountId })).rows[0]!;
    expect(got.json.type).to.equal('invoice.issued');
    expect(got.json.data).to.include({ invoiceId: invoice.id, number: invoice.number, accountId: account.accountId, currency: 'EUR', totalMinor: invoice.totalMinor.toString() });
    expect(got.headers['octet-event-id']).to.equal(got.json.id).and.to.match(/^evt_[0-9a-f]{24}$/);
    const [d] = await deliveriesOf(e.id);
    expect([d!.status, d!.attempt, d!.responseCode, d!.eventId, d!.error]).to.deep.equal(['delivered', 1, 200, got.json.id, null]);
    // A second pass finds nothing more to send.
    expect(await pass()).to.include({ dispatched: 0, attempted: 0 });
    expect(receiver.received).to.have.length(1);
  });

  it('retries a delivery the receiver answered 500, after the backoff, and then delivers it with the same event id', async () => {
    const e = await endpoint(['payment.received']);
    receiver.answers.push(500);
    await pay(1000n, 'first transfer');
    await pass();
    let [d] = await deliveriesOf(e.id);
    expect([d!.status, d!.attempt, d!.responseCode, d!.error]).to.deep.equal(['pending', 1, 500, 'the receiver answered 500']);
    const delayMs = d!.nextAttemptAt!.getTime() - clock.now().getTime();
    expect(delayMs).to.be.within(5_000, 10_000);
    // Not due yet: nothing is sent.
    await pass();
    expect(receiver.received).to.have.length(1);
    clock.advance(delayMs);
    await pass();
    [d] = await deliveriesOf(e.id);
    expect([d!.status, d!.attempt, d!.responseCode, d!.nextAttemptAt]).to.deep.equal(['delivered', 2, 200, null]);
    expect(receiver.received.map((x) => x.json.id)).to.deep.equal([d!.eventId, d!.eventId]);
    expect(receiver.received.map((x) => x.headers['octet-delivery-attempt'])).to.deep.equal(['1', '2']);
    expect(receiver.received[1]!.json.data).to.include({ accountId: account.accountId, amountMinor: '1000', currency: 'EUR', reference: 'first transfer' });
    expect(receiver.received.every((x) => x.signatureValid)).to.equal(true);
  });

  it('writes no event for a change that rolled back', async () => {
    const e = await endpoint(['payment.received']);
    const before = await webhooks().repo.countEvents('payment.received');
    plugin.services.payments.onPaymentRecorded = async () => {
      throw new Error('dunning is down');
    };
    try {
      await pay(500n, 'rolled back').then(
        () => expect.fail('the payment should have failed'),
        (err: Error) => expect(err.message).to.equal('dunning is down'),
      );
    } finally {
      plugin.services.payments.onPaymentRecorded = async (accountId, t) => void (await plugin.services.dunning.onPaymentRecorded(accountId, t));
    }
    expect(await webhooks().repo.countEvents('payment.received')).to.equal(before);
    await pass();
    expect(receiver.received).to.have.length(0);
    expect(await deliveriesOf(e.id)).to.have.length(0);
  });

  it('replays a delivered event by hand: delivered again, with the same event id', async () => {
    const e = await endpoint(['payment.received']);
    await pay(700n, 'to replay');
    await pass();
    const [first] = await deliveriesOf(e.id);
    expect(first!.status).to.equal('delivered');
    const replay = await webhooks().service.replay(first!.id, 'user:1');
    expect([replay.status, replay.attempt, replay.eventId, replay.createdBy]).to.deep.equal(['pending', 0, first!.eventId, 'user:1']);
    await pass();
    const rows = await deliveriesOf(e.id);
    expect(rows.map((r) => [r.status, r.eventId])).to.deep.equal([['delivered', first!.eventId], ['delivered', first!.eventId]]);
    expect(receiver.received.map((x) => x.json.id)).to.deep.equal([first!.eventId, first!.eventId]);
    expect(receiver.received[0]!.body).to.equal(receiver.received[1]!.body);
  });

  it('records the error of an address nobody answers, retries it until dead, and loses nothing: fixed and replayed, it arrives', async () => {
    const e = await endpoint(['payment.received'], await closedPortUrl());
    await pay(900n, 'to a dead receiver');
    for (let i = 0; i < 3; i++) {
      await pass();
      clock.advance(60_000);
    }
    const [d] = await deliveriesOf(e.id);
    expect([d!.status, d!.attempt, d!.responseCode, d!.nextAttemptAt]).to.deep.equal(['dead', 3, null, null]);
    expect(d!.error).to.match(/ECONNREFUSED/);
    expect(await webhooks().repo.event(d!.eventId)).to.include({ type: 'payment.received' });
    await webhooks().service.updateEndpoint(e.id, { url: receiver.url, events: ['payment.received'] }, 'user:1');
    await webhooks().service.replay(d!.id, 'user:1');
    await pass();
    expect(receiver.received.map((x) => [x.json.id, x.signatureValid])).to.deep.equal([[d!.eventId, true]]);
  });

  it('announces a suspension and a restoration of the account, and a fair-use throttle as a usage cap crossed', async () => {
    const e = await endpoint(['account.suspended', 'account.restored', 'usage.cap_crossed']);
    const { enforcement } = plugin.services.enforcement;
    await enforcement.setDesired({ serviceIds: [account.serviceId], desired: 'suspended', cause: { kind: 'staff', detail: 'asked by the customer', actor: 'user:1' } });
    // Setting the same state again changes nothing and announces nothing.
    await enforcement.setDesired({ serviceIds: [account.serviceId], desired: 'suspended', cause: { kind: 'staff', detail: 'again', actor: 'user:1' } });
    await enforcement.setDesired({ serviceIds: [account.serviceId], desired: 'active', cause: { kind: 'staff', detail: 'back', actor: 'user:1' } });
    await enforcement.setDesired({ serviceIds: [account.serviceId], desired: 'throttled', rate: '2M/2M', cause: { kind: 'fair_use', detail: 'over 100 GB', actor: 'system:fair-use' } });
    await pass();
    expect(receiver.received.map((x) => [x.json.type, x.json.data.accountId])).to.deep.equal([
      ['account.suspended', account.accountId],
      ['account.restored', account.accountId],
      ['usage.cap_crossed', account.accountId],
    ]);
    expect(receiver.received[0]!.json.data).to.deep.include({ serviceIds: [account.serviceId], cause: { kind: 'staff', detail: 'asked by the customer', actor: 'user:1' } });
    expect(receiver.received[2]!.json.data).to.include({ serviceId: account.serviceId, rate: '2M/2M', detail: 'over 100 GB' });
    expect((await deliveriesOf(e.id)).every((d) => d.status === 'delivered')).to.equal(true);
    await enforcement.setDesired({ serviceIds: [account.serviceId], desired: 'active', cause: { kind: 'staff', detail: 'reset', actor: 'user:1' } });
  });

  it('sends an event only to the endpoints subscribed to its type, and none to a paused one', async () => {
    const e = await endpoint(['invoice.issued']);
    const other = await new Receiver().start();
    try {
      const all = await webhooks().service.createEndpoint({ url: other.url, events: ['*'] }, 'user:1');
      other.secret = all.secret;
      const paused = await webhooks().service.createEndpoint({ url: other.url, events: ['*'] }, 'user:1');
      await webhooks().service.updateEndpoint(paused.endpoint.id, { url: other.url, events: ['*'], active: false }, 'user:1');
      await pay(100n, 'for the catch-all');
      await pass();
      expect(receiver.received).to.have.length(0);
      expect(await deliveriesOf(e.id)).to.have.length(0);
      expect(other.received.map((x) => [x.json.type, x.signatureValid])).to.deep.equal([['payment.received', true]]);
      expect(await deliveriesOf(paused.endpoint.id)).to.have.length(0);
    } finally {
      await other.stop();
    }
  });
});
