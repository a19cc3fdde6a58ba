import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from '../../../../plugin/webhooks/index.js';

describe('webhook signature (Octet-Signature)', () => {
  const secret = 'whsec_test';
  const body = '{"id":"evt_1","type":"invoice.issued"}';

  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`1767225600.${body}`).digest('hex');
    expect(signatureHeader(secret, 1767225600, body)).to.equal(`t=1767225600,v1=${expected}`);
  });

  it('verifies a header within the tolerance, and says why it refuses one', () => {
    const h = signatureHeader(secret, 1000, body);
    expect(verifySignature(h, secret, body, 1100)).to.equal(null);
    expect(verifySignature(h, secret, body, 1000 + 301)).to.equal('timestamp outside the tolerance');
    expect(verifySignature(h, 'whsec_other', body, 1000)).to.equal('no matching signature');
    expect(verifySignature(h, secret, body.replace('issued', 'paid'), 1000)).to.equal('no matching signature');
    expect(verifySignature('v1=abc', secret, body, 1000)).to.equal('no timestamp');
  });

  it('accepts a header with several v1 signatures when one matches (a secret being rolled)', () => {
    const good = signatureHeader(secret, 1000, body).split(',')[1]!;
    expect(verifySignature(`t=1000,v1=${'0'.repeat(64)},${good}`, secret, body, 1000)).to.equal(null);
  });
});
