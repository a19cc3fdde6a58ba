import { expect } from 'chai';
import { addToHours, BUCKET_MS, splitAcrossHours } from '../../../../plugin/usage/hour-split.js';

const H10 = Date.UTC(2026, 2, 1, 10);
const MIN = 60_000;

describe('splitting usage across 15-minute buckets', () => {
  it('gives an interval inside one bucket wholly to that bucket', () => {
    expect(splitAcrossHours(H10 + 5 * MIN, H10 + 10 * MIN, 777n)).to.deep.equal([{ hourMs: H10, bytes: 777n }]);
  });

  it('splits an interval over a bucket boundary in proportion to time', () => {
    // 10:10 -> 10:20: half in each bucket.
    expect(splitAcrossHours(H10 + 10 * MIN, H10 + 20 * MIN, 1000n)).to.deep.equal([
      { hourMs: H10, bytes: 500n },
      { hourMs: H10 + BUCKET_MS, bytes: 500n },
    ]);
  });

  it('rounds by cumulative floor so whole bytes add up exactly', () => {
    // 10:05 -> 10:20 -> 3 bytes: bucket 10:00 gets floor(3*10/15)=2, bucket 10:15 gets 3-2=1.
    const parts = splitAcrossHours(H10 + 5 * MIN, H10 + 20 * MIN, 3n);
    expect(parts).to.deep.equal([{ hourMs: H10, bytes: 2n }, { hourMs: H10 + BUCKET_MS, bytes: 1n }]);
  });

  it('spreads a long interval over every bucket it covers and keeps the exact sum', () => {
    const bytes = (1n << 50n) + 7n;
    const parts = splitAcrossHours(H10 + 1, H10 + 5 * BUCKET_MS - 1, bytes);
    expect(parts.map((x) => x.hourMs)).to.deep.equal([0, 1, 2, 3, 4].map((k) => H10 + k * BUCKET_MS));
    expect(parts.reduce((a, x) => a + x.bytes, 0n)).to.equal(bytes);
  });

  it('puts an interval ending exactly on a bucket boundary into the bucket before', () => {
    expect(splitAcrossHours(H10 + 5 * MIN, H10 + BUCKET_MS, 10n)).to.deep.equal([{ hourMs: H10, bytes: 10n }]);
  });

  it('gives a zero-length interval to the bucket containing its instant', () => {
    expect(splitAcrossHours(H10 + BUCKET_MS, H10 + BUCKET_MS, 10n)).to.deep.equal([{ hourMs: H10 + BUCKET_MS, bytes: 10n }]);
  });

  it('adds download and upload of intervals into buckets', () => {
    const buckets = addToHours(new Map(), [
      { fromMs: H10 + 10 * MIN, toMs: H10 + 20 * MIN, download: 10n, upload: 4n, reset: false },
      { fromMs: H10, toMs: H10 + MIN, download: 1n, upload: 1n, reset: false },
    ]);
    expect([...buckets.entries()]).to.deep.equal([
      [H10, { download: 6n, upload: 3n }],
      [H10 + BUCKET_MS, { download: 5n, upload: 2n }],
    ]);
  });
});
