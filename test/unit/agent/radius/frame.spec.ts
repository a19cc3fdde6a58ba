import { expect } from 'chai';
import { createRequire } from 'node:module';
import { ACCOUNTING_ATTRIBUTES, parseFrame, verifyAccountingRequest, withOnly } from '../../../../agent/radius/frame.js';
import { acct, codec, sessionAttrs } from './fixtures.js';

const c = codec();

describe('RADIUS framing', () => {
  const good = acct(c, 's3cret', sessionAttrs('Start'));

  it('accepts a well-formed packet and ignores padding past its Length', () => {
    const r = parseFrame(Buffer.concat([good, Buffer.alloc(7)]));
    expect(r.ok && r.frame.length).to.equal(good.length);
  });

  it('rejects short packets, bad lengths, truncated packets and broken attributes', () => {
    expect(parseFrame(good.subarray(0, 19))).to.deep.equal({ ok: false, reason: 'short' });
    const badLen = Buffer.from(good);
    badLen.writeUInt16BE(19, 2);
    expect(parseFrame(badLen)).to.deep.equal({ ok: false, reason: 'bad-length' });
    expect(parseFrame(good.subarray(0, good.length - 1))).to.deep.equal({ ok: false, reason: 'truncated' });
    const badAttr = Buffer.from(good);
    badAttr[21] = 1;
    expect(parseFrame(badAttr)).to.deep.equal({ ok: false, reason: 'bad-attribute' });
  });

  it('verifies the Request Authenticator with the shared secret (RFC 2866 §3)', () => {
    const r = parseFrame(good);
    if (!r.ok) throw new Error('unexpected');
    expect(verifyAccountingRequest(good, r.frame, Buffer.from('s3cret'))).to.equal(true);
    expect(verifyAccountingRequest(good, r.frame, Buffer.from('wrong'))).to.equal(false);
  });

  it('hands the decoder only the attributes accounting uses, so no other attribute can make it fail', () => {
    const foreign = Buffer.from([0, 0, 0, 9, 1, 1]); // a vendor attribute with a broken inner length
    const req = acct(c, 's', sessionAttrs('Start', { extra: [[26, foreign], [200, Buffer.from('x')], ['NAS-Port-Id', 'ether1']] }));
    expect(() => c.decodeVerified(req)).to.throw();
    const kept = withOnly(req, req.length, ACCOUNTING_ATTRIBUTES);
    expect(kept.readUInt16BE(2)).to.equal(kept.length);
    const decoded = c.decodeVerified(kept);
    expect(decoded.attributes).to.deep.equal({ 'Acct-Status-Type': 'Start', 'Acct-Session-Id': '81a00001', 'User-Name': 'alice' });
  });
});

describe('RADIUS codec', () => {
  it('builds the same Accounting-Response bytes as the radius library', () => {
    const lib = createRequire(import.meta.url)('radius') as {
      encode_response(a: { packet: unknown; code: string; secret: string }): Buffer;
    };
    const req = acct(c, 's3cret', sessionAttrs('Stop'));
    const decoded = c.decodeVerified(req);
    const ours = c.accountingResponse(decoded, 's3cret');
    expect(ours.equals(lib.encode_response({ packet: decoded, code: 'Accounting-Response', secret: 's3cret' }))).to.equal(true);
  });

  it('echoes Proxy-State in the Accounting-Response', () => {
    const req = acct(c, 's3cret', sessionAttrs('Stop', { extra: [['Proxy-State', Buffer.from('hop1')]] }));
    const res = c.accountingResponse(c.decodeVerified(req), 's3cret');
    expect(res.subarray(20).equals(Buffer.from([33, 6, ...Buffer.from('hop1')]))).to.equal(true);
  });

  it('loads the MikroTik dictionary (vendor 14988)', () => {
    expect(c.knownVendors.has(14988)).to.equal(true);
    const req = acct(c, 's', sessionAttrs('Start', { extra: [['Vendor-Specific', 14988, [['Mikrotik-Rate-Limit', '10M/20M']]]] }));
    expect(c.decodeVerified(req).attributes['Vendor-Specific']).to.deep.equal({ 'Mikrotik-Rate-Limit': '10M/20M' });
  });
});
