import { expect } from 'chai';
import { combineGigawords, formatBytes, toBigInt } from '../../../plugin/common/bytes.js';

describe('byte counters', () => {
  it('combine RFC 2869 gigawords with octets into one 64-bit total', () => {
    expect(combineGigawords(3, 5)).to.equal(3n * 4294967296n + 5n);
    expect(combineGigawords(undefined, 7)).to.equal(7n);
  });

  it('read driver values exactly and refuse floats', () => {
    expect(toBigInt('9223372036854775807')).to.equal(9223372036854775807n);
    expect(toBigInt(42)).to.equal(42n);
    expect(() => toBigInt(2 ** 60)).to.throw(RangeError);
    expect(() => toBigInt('1.5')).to.throw(RangeError);
  });

  it('format sizes in decimal units with two places', () => {
    expect(formatBytes(999n)).to.equal('999 B');
    expect(formatBytes(1000n)).to.equal('1.00 KB');
    expect(formatBytes(61_990_000n)).to.equal('61.99 MB');
    expect(formatBytes(1_234_567_890n)).to.equal('1.23 GB');
  });

  it('moves to the next unit instead of printing 1000.00', () => {
    expect(formatBytes(999_999n)).to.equal('1.00 MB');
    expect(formatBytes(999_999_999_999_999_999n)).to.equal('1.00 EB');
    expect(formatBytes(9_223_372_036_854_775_807n)).to.equal('9.22 EB');
  });
});
