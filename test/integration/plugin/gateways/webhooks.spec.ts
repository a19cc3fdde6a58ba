import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { InvoiceRecord } from '../../../../plugin/invoicing/index.js';
import { gatewaysConfigSchema, stripeSignatureHeader } from '../../../../plugin/payments/gateways/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { RecordingLogger } from '../../../support/fakes/logger.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';
import { withStatements } from '../payments/statements/plugin.js';

// Stripe's scheme as https://docs.stripe.com/webhooks#verify-manually documents it; event
// objects shaped as its API reference shows them.
const STRIPE_SECRET = 'whsec_integration_test_secret_01';
const ACME_SECRET = 'acme-shared-secret-0123456789';
const NOW = Date.parse('2026-12-02T10:00:00Z');
const T = NOW / 1000;

forEachDatabase('payment webhooks', (dialect) => {
  let plugin: TestPlugin;
  let accountId: number;
  let invoice: InvoiceRecord;
  const logger = new RecordingLogger();
  const clock = new ManualClock(NOW);
  const statements = withStatements(gatewaysConfigSchema.parse({ stripe: { webhookSecret: STRIPE_SECRET }, gateways: { acme: { secret: ACME_SECRET, method: 'paypal' } } }));

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock, logger, config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } }, modules: statements.modules });
    accountId = (await plugin.services.subscribers.subscribers.createAccount({ name: 'Card Payer' }, 'test')).id;
    [invoice] = (await issue(plugin.ctx, plugin.services.invoicing.invoices, [{ ...newDocument(accountId, 'k1'), dueDate: '2026-12-20' }])) as [InvoiceRecord];
  });
  after(async () => plugin?.close());
  beforeEach(() => clock.set(NOW));

  const payments = async () => (await plugin.services.payments.list({ accountId })).rows;
  const event = (id: string, type: string, object: Record<string, unknown>) => JSON.stringify({ id, object: 'event', type, created: T, data: { object } });
  const stripe = (body: string, header = stripeSignatureHeader(STRIPE_SECRET, body, T)) =>
    request(plugin.app).post('/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(body);
  const intent = (id: string, amount: number, metadata: Record<string, string>) => ({ id, object: 'payment_intent', amount, amount_received: amount, currency: 'eur', created: T, metadata });

  it('records a succeeded PaymentIntent once, for the account in its metadata', async () => {
    const body = event('evt_1', 'payment_intent.succeeded', intent('pi_1', 1500, { accountId: String(accountId) }));
    const res = await stripe(body);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ eventId: 'evt_1', outcome: 'recorded', duplicate: false });
    const [p] = await payments();
    expect(p).to.deep.include({ id: res.body.paymentId, amountMinor: 1500n, currency: 'EUR', method: 'card', source: 'stripe', externalId: 'pi_1' });
  });

  it('refuses the same signed delivery replayed (400), and answers a fresh delivery of a handled event as a duplicate', async () => {
    const body = event('evt_1', 'payment_intent.succeeded', intent('pi_1', 1500, { accountId: String(accountId) }));
    const replay = await stripe(body);
    expect(replay.status).to.equal(400);
    expect(replay.body.error).to.contain('a replay');
    clock.set(NOW + 60_000);
    const redelivered = await stripe(body, stripeSignatureHeader(STRIPE_SECRET, body, T + 60));
    expect(redelivered.status).to.equal(200);
    expect(redelivered.body).to.deep.include({ duplicate: true, outcome: 'recorded' });
    expect(await payments()).to.have.length(1);
  });

  it('records nothing for a wrong secret, a stale timestamp or a tampered body (400 each)', async () => {
    const body = event('evt_2', 'payment_intent.succeeded', intent('pi_2', 999, { accountId: String(accountId) }));
    expect((await stripe(body, stripeSignatureHeader('whsec_not_the_endpoint_secret', body, T))).status).to.equal(400);
    clock.set(NOW + 301_000);
    const stale = await stripe(body);
    expect(stale.status).to.equal(400);
    expect(stale.body.error).to.equal('the timestamp is outside the tolerance of 300 s');
    clock.set(NOW);
    const tampered = await stripe(body.replace('"amount":999', '"amount":99900'), stripeSignatureHeader(STRIPE_SECRET, body, T));
    expect(tampered.status).to.equal(400);
    expect((await request(plugin.app).post('/webhooks/stripe').set('Content-Type', 'application/json').send(body)).status).to.equal(400);
    expect(await payments()).to.have.length(1);
  });

  it('a Checkout Session and its PaymentIntent are one payment, allocated to the invoice in the metadata', async () => {
    const session = event('evt_3', 'checkout.session.completed', { id: 'cs_3', object: 'checkout.session', amount_total: 9925, currency: 'eur', payment_status: 'paid', payment_intent: 'pi_3', metadata: { invoiceNumber: invoice.number! }, created: T });
    expect((await stripe(session)).body).to.deep.include({ outcome: 'recorded' });
    const pi = await stripe(event('evt_4', 'payment_intent.succeeded', intent('pi_3', 9925, { invoiceNumber: invoice.number! })));
    expect(pi.body).to.deep.include({ outcome: 'duplicate', duplicate: true });
    expect((await payments()).filter((p) => p.externalId === 'pi_3')).to.have.length(1);
    expect((await plugin.services.invoicing.invoices.get(invoice.id)).status).to.equal('paid');
  });

  it('queues a payment for an account nobody knows for a person, and records nothing', async () => {
    const res = await stripe(event('evt_5', 'payment_intent.succeeded', intent('pi_5', 700, { accountId: '999999' })));
    expect(res.body).to.deep.include({ outcome: 'unmatched', detail: 'account 999999 not found' });
    const queued = (await statements.built().importer.unmatched('open')).filter((q) => q.source === 'stripe');
    expect(queued.map((q) => [q.externalId, q.amountMinor, q.reason])).to.deep.equal([['pi_5', 700n, 'stripe: account 999999 not found']]);
  });

  it('refunds each Stripe refund once, however often the charge is reported', async () => {
    // An account with nothing invoiced: the payment stays credit, which payments lets be refunded.
    const creditor = (await plugin.services.subscribers.subscribers.createAccount({ name: 'Prepaying Payer' }, 'test')).id;
    expect((await stripe(event('evt_r0', 'payment_intent.succeeded', intent('pi_r', 1000, { accountId: String(creditor) })))).body).to.deep.include({ outcome: 'recorded' });
    const charge = (evt: string, refunds: Array<{ id: string; amount: number }>) =>
      event(evt, 'charge.refunded', { id: 'ch_r', object: 'charge', payment_intent: 'pi_r', currency: 'eur', amount_refunded: refunds.reduce((s, r) => s + r.amount, 0), refunded: false, refunds: { object: 'list', data: refunds.map((r) => ({ ...r, status: 'succeeded' })) } });
    expect((await stripe(charge('evt_r1', [{ id: 're_1', amount: 500 }]))).body).to.deep.include({ outcome: 'refunded', detail: '1 refund(s)' });
    expect((await stripe(charge('evt_r2', [{ id: 're_1', amount: 500 }, { id: 're_2', amount: 200 }]))).body).to.deep.include({ outcome: 'refunded', detail: '1 refund(s)' });
    const [p] = (await plugin.services.payments.list({ accountId: creditor })).rows;
    expect([p!.amountMinor, p!.refundedMinor]).to.deep.equal([1000n, 700n]);
  });

  it('reports a refund of a payment that paid an invoice as failed, for a person, without changing it', async () => {
    const res = await stripe(event('evt_r3', 'charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_1', currency: 'eur', amount_refunded: 1500, refunded: true }));
    expect(res.status).to.equal(200);
    expect(res.body.outcome).to.equal('failed');
    expect(res.body.detail).to.match(/^refund ch_1:full: /);
    expect((await payments()).find((x) => x.externalId === 'pi_1')!.refundedMinor).to.equal(0n);
  });

  it('generic gateway: HMAC of "<timestamp>.<body>" with its own secret; bad ones and bad bodies record nothing', async () => {
    const body = JSON.stringify({ eventId: 'acme-1', accountId, amount: '12.34', currency: 'EUR', reference: 'PP-77', receivedAt: '2026-12-02T09:00:00Z' });
    const sign = (b: string, secret = ACME_SECRET, ts = String(T)) => createHmac('sha256', secret).update(`${ts}.${b}`).digest('hex');
    const post = (b: string, sig: string, ts = String(T), name = 'acme') =>
      request(plugin.app).post(`/webhooks/generic/${name}`).set('Content-Type', 'application/json').set('X-Octet-Timestamp', ts).set('X-Octet-Signature', sig).send(b);
    const ok = await post(body, sign(body));
    expect(ok.status).to.equal(200);
    expect(ok.body).to.deep.include({ outcome: 'recorded' });
    expect((await payments()).find((p) => p.externalId === 'acme-1')).to.deep.include({ amountMinor: 1234n, method: 'paypal', source: 'gateway:acme', reference: 'PP-77' });
    expect((await post(body, sign(body))).status).to.equal(400);
    expect((await post(body, sign(body, 'some-other-secret-000000'))).status).to.equal(400);
    expect((await post(body, sign(body), String(T - 400))).status).to.equal(400);
    expect((await post(body, sign(body), String(T), 'nobody')).status).to.equal(404);
    const float = JSON.stringify({ eventId: 'acme-2', accountId, amount: 12.34, currency: 'EUR', receivedAt: '2026-12-02T09:00:00Z' });
    const refused = await post(float, sign(float));
    expect(refused.status).to.equal(422);
    expect(refused.body.error).to.contain('amount: must be decimal text');
    expect((await payments()).filter((p) => p.source === 'gateway:acme')).to.have.length(1);
  });

  it('never logs a secret or a signature', () => {
    const text = JSON.stringify(logger.entries);
    expect(text).not.to.contain(STRIPE_SECRET);
    expect(text).not.to.contain(ACME_SECRET);
    expect(text).not.to.match(/v1=[0-9a-f]{64}/);
    expect(logger.entries.some((e) => e.message === 'webhook refused')).to.equal(true);
  });
});
