import { expect } from 'chai';
import { crc32 } from 'node:zlib';
import { decodeRecords, encodeRecords, HEADER_BYTES } from '../../../../agent/spool/record-format.js';

describe('spool record format', () => {
  it('writes each record as length, CRC-32 of sequence and payload, 64-bit sequence, payload (big-endian)', () => {
    const buf = encodeRecords(7, ['{"a":1}']);
    expect(buf.length).to.equal(HEADER_BYTES + 7);
    expect(buf.readUInt32BE(0)).to.equal(7);
    expect(buf.readBigUInt64BE(8)).to.equal(7n);
    expect(buf.readUInt32BE(4)).to.equal(crc32(buf.subarray(8)));
    expect(buf.subarray(HEADER_BYTES).toString('utf8')).to.equal('{"a":1}');
  });

  it('keeps sequence numbers beyond 2^32 exact', () => {
    const first = 2 ** 32 + 5;
    const decoded = decodeRecords(encodeRecords(first, ['x', 'y']), Infinity, first);
    expect(decoded.damaged).to.equal(false);
    expect(decoded.records.map((r) => r.seq)).to.deep.equal([first, first + 1]);
  });

  it('gives the same bytes whether or not the caller passes the payload lengths, multi-byte UTF-8 included', () => {
    const payloads = ['{"login":"jürgen"}', '{"login":"ascii"}', '{"x":"€"}'];
    const lengths = payloads.map((p) => Buffer.byteLength(p, 'utf8'));
    expect(encodeRecords(42, payloads, lengths).equals(encodeRecords(42, payloads))).to.equal(true);
  });
});
