import { expect } from 'chai';
import { splynxWebhookSignature, verifySplynxWebhook } from '../../../../../plugin/host/splynx/webhook.js';

describe('Splynx webhook signature', () => {
  it('is the hex HMAC-SHA1 of the raw body with the hook secret', () => {
    // The well-known HMAC-SHA1 test vector.
    expect(splynxWebhookSignature('The quick brown fox jumps over the lazy dog', 'key')).to.equal('de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9');
  });
  it('verifies the header of the body it was made for, in either case, and nothing else', () => {
    const body = Buffer.from('{"type":"event"}');
    const sig = splynxWebhookSignature(body, 'hook-secret-0123456789');
    expect(verifySplynxWebhook(body, sig, 'hook-secret-0123456789')).to.equal(true);
    expect(verifySplynxWebhook(body, sig.toUpperCase(), 'hook-secret-0123456789')).to.equal(true);
    expect(verifySplynxWebhook(Buffer.from('{"type":"event" }'), sig, 'hook-secret-0123456789')).to.equal(false);
    expect(verifySplynxWebhook(body, sig, 'another-secret-0123456789')).to.equal(false);
    expect(verifySplynxWebhook(body, undefined, 'hook-secret-0123456789')).to.equal(false);
    expect(verifySplynxWebhook(body, 'not-hex', 'hook-secret-0123456789')).to.equal(false);
  });
});
