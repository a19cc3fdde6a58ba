import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { buildQuery, NonceSource, signatureHeader, splynxSignature } from '../../../../../plugin/host/splynx/signature.js';

describe('Splynx API key signature', () => {
  it('is the uppercase hex HMAC-SHA256 of nonce followed by the key, keyed with the secret', () => {
    // The PHP reference: strtoupper(hash_hmac('sha256', $nonce . $api_key, $api_secret)).
    const expected = createHmac('sha256', 'API_SECRET').update('154249307600API_KEY').digest('hex').toUpperCase();
    expect(splynxSignature(154249307600, 'API_KEY', 'API_SECRET')).to.equal(expected);
    expect(expected).to.match(/^[0-9A-F]{64}$/);
  });

  it('changes with the nonce, so a captured header cannot be replayed with another nonce', () => {
    expect(splynxSignature(1, 'k', 's')).to.not.equal(splynxSignature(2, 'k', 's'));
  });

  it('puts key, signature and nonce query-encoded inside Splynx-EA ( ), and the sash after them', () => {
    const h = signatureHeader('k1', 's1', 42, 'abc123');
    const m = /^Splynx-EA \((.*)\)$/.exec(h)!;
    const p = new URLSearchParams(m[1]);
    expect(p.get('key')).to.equal('k1');
    expect(p.get('nonce')).to.equal('42');
    expect(p.get('signature')).to.equal(splynxSignature(42, 'k1', 's1'));
    expect(p.get('sash')).to.equal('abc123');
  });
});

describe('Splynx nonces', () => {
  it('are the clock in microseconds since the epoch, one more per request within the same microsecond', () => {
    const n = new NonceSource(() => 1_700_000_000_000_000);
    expect(n.next()).to.equal(1_700_000_000_000_000);
    expect(n.next()).to.equal(1_700_000_000_000_001);
  });

  it('keep growing when the clock steps back', () => {
    let now = 1_700_000_000_000_000;
    const n = new NonceSource(() => now);
    const first = n.next();
    now -= 3_600_000_000;
    expect(n.next()).to.equal(first + 1);
  });

  it('of two sources on one key (two processes) keep increasing in the order they are taken', () => {
    let now = 1_700_000_000_000_000;
    const clock = () => (now += 7);
    const a = new NonceSource(clock);
    const b = new NonceSource(clock);
    const taken: number[] = [];
    for (let i = 0; i < 50; i++) taken.push((i % 3 === 0 ? b : a).next());
    expect(taken.every((x, i) => i === 0 || x > taken[i - 1]!)).to.equal(true);
  });

  it('by default read the wall clock in microseconds: a restarted process starts above the last nonce of the one before', () => {
    const before = new NonceSource().next();
    const after = new NonceSource().next();
    expect(after).to.be.greaterThan(before);
    expect(Math.abs(before - Date.now() * 1000)).to.be.lessThan(5_000_000);
    expect(Number.isSafeInteger(before)).to.equal(true);
  });
});

describe('Splynx search query', () => {
  it('is written the way PHP http_build_query writes nested arrays', () => {
    const q = buildQuery({ main_attributes: { id: ['>', 5], login: 'a b' }, order: { id: 'ASC' }, limit: 10 });
    expect(decodeURIComponent(q)).to.equal('main_attributes[id][0]=>&main_attributes[id][1]=5&main_attributes[login]=a b&order[id]=ASC&limit=10');
  });
});
