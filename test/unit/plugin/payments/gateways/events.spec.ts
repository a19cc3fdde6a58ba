import { expect } from 'chai';
import { genericIntent, stripeIntent } from '../../../../../plugin/payments/gateways/events.js';

// Objects shaped as Stripe's API reference shows them (PaymentIntent, Checkout Session, Charge).
describe('what a gateway event means', () => {
  it('payment_intent.succeeded: amount_received in minor units, currency upper-cased, who from metadata', () => {
    expect(stripeIntent('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', amount: 2000, amount_received: 1999, currency: 'eur', created: 1764640800, metadata: { accountId: '42' } }, null)).to.deep.equal({
      kind: 'payment', objectId: 'pi_1', amountMinor: 1999n, currency: 'EUR', accountId: 42, invoiceNumber: null, method: 'card', reference: 'pi_1', receivedAt: new Date('2025-12-02T02:00:00Z'),
    });
  });

  it('checkout.session.completed: paid sessions only, keyed by their PaymentIntent so both events are one payment', () => {
    const paid = stripeIntent('checkout.session.completed', { id: 'cs_1', amount_total: 5000, currency: 'kwd', payment_status: 'paid', payment_intent: 'pi_9', client_reference_id: '7', metadata: { invoiceNumber: 'INV-000003' }, created: 1764640800 }, null);
    expect(paid).to.deep.include({ kind: 'payment', objectId: 'pi_9', amountMinor: 5000n, currency: 'KWD', accountId: 7, invoiceNumber: 'INV-000003' });
    expect(stripeIntent('checkout.session.completed', { id: 'cs_2', amount_total: 5000, currency: 'eur', payment_status: 'unpaid' }, null)).to.deep.equal({ kind: 'ignore', reason: 'checkout session not paid (unpaid)' });
  });

  it('charge.refunded: each refund by its id; without the list, only a full refund', () => {
    expect(stripeIntent('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', currency: 'eur', amount_refunded: 700, refunded: false, refunds: { data: [{ id: 're_1', amount: 500, status: 'succeeded' }, { id: 're_2', amount: 200, status: 'succeeded' }, { id: 're_3', amount: 100, status: 'failed' }] } }, null)).to.deep.equal({
      kind: 'refund', objectId: 'pi_1', currency: 'EUR', refunds: [{ id: 're_1', amountMinor: 500n }, { id: 're_2', amountMinor: 200n }],
    });
    expect(stripeIntent('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', currency: 'eur', amount_refunded: 1999, refunded: true }, null)).to.deep.include({ kind: 'refund', refunds: [{ id: 'ch_1:full', amountMinor: 1999n }] });
    expect(stripeIntent('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', currency: 'eur', amount_refunded: 5, refunded: false }, null).kind).to.equal('ignore');
  });

  it('other event types are acknowledged and ignored', () => {
    expect(stripeIntent('customer.created', { id: 'cus_1' }, null)).to.deep.equal({ kind: 'ignore', reason: 'event type customer.created is not handled' });
  });

  it('the generic body: decimal text read exactly, every problem named', () => {
    const ok = genericIntent({ eventId: 'e-1', invoiceNumber: 'INV-000001', amount: '12.50', currency: 'EUR', method: 'paypal', reference: 'PP-1', receivedAt: '2026-12-01T10:00:00Z' }, 'other');
    expect(ok).to.deep.equal({ ok: true, value: { eventId: 'e-1', type: 'payment', intent: { kind: 'payment', objectId: 'e-1', amountMinor: 1250n, currency: 'EUR', accountId: null, invoiceNumber: 'INV-000001', method: 'paypal', reference: 'PP-1', receivedAt: new Date('2026-12-01T10:00:00Z') } } });
    const bad = genericIntent({ eventId: '', amount: 12.5, currency: 'EURO', method: 'gold', receivedAt: 'yesterday' }, 'other');
    expect(bad.ok).to.equal(false);
    expect(!bad.ok && bad.reason.split('; ')).to.deep.equal([
      'eventId: required, at most 200 characters',
      'accountId or invoiceNumber: one is required',
      'currency: must be an ISO 4217 code such as EUR',
      'amount: must be decimal text such as "12.50" (never a JSON number)',
      'method: one of cash, bank_transfer, card, paypal, other',
      'receivedAt: an ISO 8601 time such as 2026-12-01T10:00:00Z',
    ]);
    expect(genericIntent({ eventId: 'e', accountId: 1, amount: '1.005', currency: 'EUR', receivedAt: '2026-12-01T10:00:00Z' }, 'card')).to.deep.equal({ ok: false, reason: 'amount: "1.005" has more decimals than EUR has (2)' });
  });
});
