import { expect } from 'chai';
import { checkAssertion, MemoryNonceStore, signAssertion, type AssertionPayload } from '../../../../../plugin/host/uisp/index.js';

const KEY = 's'.repeat(32);
const P: AssertionPayload = { v: 1, aud: 'octet/uisp', userId: 7, username: 'jane', userGroup: 'Billing', iat: 1000, exp: 1060, nonce: '0123456789abcdef0123456789abcdef' };
const check = (token: string, now = 1030) => checkAssertion(token, KEY, now, { maxAgeSeconds: 60 });

describe('UISP page assertions', () => {
  it('accepts what it signed, within its minute, and gives back the payload', () => {
    expect(check(signAssertion(P, KEY))).to.deep.equal({ ok: true, payload: P });
  });

  it('refuses a payload changed after signing (another user id, same signature)', () => {
    const [body, sig] = signAssertion(P, KEY).split('.');
    const forged = Buffer.from(JSON.stringify({ ...P, userId: 1 })).toString('base64url');
    expect(body).to.not.equal(forged);
    expect(check(`${forged}.${sig}`)).to.deep.equal({ ok: false, reason: 'bad signature' });
  });

  it('refuses one signed with another key', () => {
    expect(check(signAssertion(P, 't'.repeat(32)))).to.deep.equal({ ok: false, reason: 'bad signature' });
  });

  it('refuses one past its expiry, one from the future, and one valid for more than the allowed age', () => {
    expect(check(signAssertion(P, KEY), 1061)).to.deep.equal({ ok: false, reason: 'expired' });
    expect(check(signAssertion(P, KEY), 990)).to.deep.equal({ ok: false, reason: 'not yet valid' });
    expect(check(signAssertion({ ...P, exp: 1000 + 3600 }, KEY))).to.deep.equal({ ok: false, reason: 'valid for too long' });
  });

  it('refuses malformed tokens and payloads for another audience', () => {
    for (const t of ['', 'abc', 'a.b.c', `${'x'.repeat(5000)}.${'y'.repeat(43)}`]) expect(check(t).ok, t.slice(0, 10)).to.equal(false);
    expect(check(signAssertion({ ...P, aud: 'someone-else' as 'octet/uisp' }, KEY))).to.deep.equal({ ok: false, reason: 'malformed' });
    expect(check(signAssertion({ ...P, nonce: 'short' }, KEY))).to.deep.equal({ ok: false, reason: 'malformed' });
  });

  it('remembers a nonce until it expires: the second claim is refused', async () => {
    const store = new MemoryNonceStore();
    expect(await store.claim(P.nonce, 1060, 1030)).to.equal(true);
    expect(await store.claim(P.nonce, 1060, 1031)).to.equal(false);
  });

  it('refuses new nonces rather than forget live ones when its memory is full', async () => {
    const store = new MemoryNonceStore(2);
    expect(await store.claim('a', 2000, 1000)).to.equal(true);
    expect(await store.claim('b', 2000, 1000)).to.equal(true);
    expect(await store.claim('c', 2000, 1000)).to.equal(false);
    // Once the first two expired they are dropped and room is made.
    expect(await store.claim('c', 3000, 2001)).to.equal(true);
  });
});
