import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { stripeSignatureHeader, verifyGenericSignature, verifyStripeSignature } from '../../../../../plugin/payments/gateways/signature.js';

// As https://docs.stripe.com/webhooks#verify-manually documents it: Stripe-Signature is
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint secret>.
const SECRET = 'whsec_test_0123456789abcdef';
const BODY = Buffer.from('{"id":"evt_1","type":"payment_intent.succeeded"}');
const T = 1_764_640_800; // 2025-12-02T02:00:00Z
const v1 = (secret: string, t: number, body: Buffer) => createHmac('sha256', secret).update(`${t}.${body.toString('utf8')}`).digest('hex');

describe('Stripe webhook signatures', () => {
  it('accepts the signature Stripe computes, written out independently here', () => {
    expect(verifyStripeSignature(`t=${T},v1=${v1(SECRET, T, BODY)}`, BODY, SECRET, T + 10)).to.deep.equal({ ok: true, timestamp: T });
    expect(stripeSignatureHeader(SECRET, BODY, T)).to.equal(`t=${T},v1=${v1(SECRET, T, BODY)}`);
  });

  it('accepts any of several v1 signatures (a secret being rolled) and ignores v0', () => {
    const header = `t=${T},v1=${v1('whsec_the_old_secret_xyz', T, BODY)},v1=${v1(SECRET, T, BODY)},v0=${'0'.repeat(64)}`;
    expect(verifyStripeSignature(header, BODY, SECRET, T).ok).to.equal(true);
  });

  it('refuses a signature made with another secret', () => {
    expect(verifyStripeSignature(stripeSignatureHeader('whsec_someone_else_entirely', BODY, T), BODY, SECRET, T)).to.deep.equal({ ok: false, reason: 'no v1 signature matches the payload' });
  });

  it('refuses a body changed by one byte', () => {
    const tampered = Buffer.from(BODY.toString().replace('evt_1', 'evt_2'));
    expect(verifyStripeSignature(stripeSignatureHeader(SECRET, BODY, T), tampered, SECRET, T).ok).to.equal(false);
  });

  it('refuses a timestamp older (or newer) than the tolerance, 300 s by default', () => {
    const h = stripeSignatureHeader(SECRET, BODY, T);
    expect(verifyStripeSignature(h, BODY, SECRET, T + 300).ok).to.equal(true);
    expect(verifyStripeSignature(h, BODY, SECRET, T + 301)).to.deep.equal({ ok: false, reason: 'the timestamp is outside the tolerance of 300 s' });
    expect(verifyStripeSignature(h, BODY, SECRET, T - 301).ok).to.equal(false);
    expect(verifyStripeSignature(h, BODY, SECRET, T + 500, 600).ok).to.equal(true);
  });

  it('refuses a missing or garbled header, and a timestamp moved without re-signing', () => {
    expect(verifyStripeSignature(undefined, BODY, SECRET, T).ok).to.equal(false);
    expect(verifyStripeSignature('v1=abc', BODY, SECRET, T).ok).to.equal(false);
    expect(verifyStripeSignature(`t=${T}`, BODY, SECRET, T).ok).to.equal(false);
    expect(verifyStripeSignature(`t=${T},v1=zz`, BODY, SECRET, T).ok).to.equal(false);
    expect(verifyStripeSignature(`t=${T + 60},v1=${v1(SECRET, T, BODY)}`, BODY, SECRET, T + 60).ok).to.equal(false);
  });
});

describe('generic HMAC webhook signatures', () => {
  const sig = (secret: string, ts: string, body: Buffer) => createHmac('sha256', secret).update(`${ts}.${body.toString('utf8')}`).digest('hex');

  it('accepts HMAC-SHA256 of "<timestamp>.<body>", with or without a sha256= prefix', () => {
    expect(verifyGenericSignature(sig(SECRET, String(T), BODY), String(T), BODY, SECRET, T)).to.deep.equal({ ok: true, timestamp: T });
    expect(verifyGenericSignature(`sha256=${sig(SECRET, String(T), BODY).toUpperCase()}`, String(T), BODY, SECRET, T).ok).to.equal(true);
  });

  it('refuses another secret, a changed body, a stale timestamp, missing headers', () => {
    expect(verifyGenericSignature(sig('another-secret-0000000', String(T), BODY), String(T), BODY, SECRET, T).ok).to.equal(false);
    expect(verifyGenericSignature(sig(SECRET, String(T), BODY), String(T), Buffer.from(`${BODY} `), SECRET, T).ok).to.equal(false);
    expect(verifyGenericSignature(sig(SECRET, String(T), BODY), String(T), BODY, SECRET, T + 301).ok).to.equal(false);
    expect(verifyGenericSignature(undefined, String(T), BODY, SECRET, T).ok).to.equal(false);
    expect(verifyGenericSignature(sig(SECRET, 'soon', BODY), 'soon', BODY, SECRET, T).ok).to.equal(false);
  });
});
