import { expect } from 'chai';
import { addToHours, HOUR_MS, splitAcrossHours } from '../../../../plugin/usage/hour-split.js';

const H10 = Date.UTC(2026, 2, 1, 10);

describe('splitting usage across hours', () => {
  it('gives an interval inside one hour wholly to that hour', () => {
    expect(splitAcrossHours(H10 + 5 * 60_000, H10 + 10 * 60_000, 777n)).to.deep.equal([{ hourMs: H10, bytes: 777n }]);
  });

  it('splits an interval over an hour boundary in proportion to time', () => {
    // 10:45 -> 11:15: half in each hour.
    expect(splitAcrossHours(H10 + 45 * 60_000, H10 + 75 * 60_000, 1000n)).to.deep.equal([
      { hourMs: H10, bytes: 500n },
      { hourMs: H10 + HOUR_MS, bytes: 500n },
    ]);
  });

  it('rounds by cumulative floor so whole bytes add up exactly', () => {
    // 10:40 -> 11:10 -> 3 bytes: hour 10 gets floor(3*20/30)=2, hour 11 gets 3-2=1.
    const parts = splitAcrossHours(H10 + 40 * 60_000, H10 + 70 * 60_000, 3n);
    expect(parts).to.deep.equal([{ hourMs: H10, bytes: 2n }, { hourMs: H10 + HOUR_MS, bytes: 1n }]);
  });

  it('spreads a long interval over every hour it covers and keeps the exact sum', () => {
    const bytes = (1n << 50n) + 7n;
    const parts = splitAcrossHours(H10 + 1, H10 + 5 * HOUR_MS - 1, bytes);
    expect(parts.map((x) => x.hourMs)).to.deep.equal([0, 1, 2, 3, 4].map((k) => H10 + k * HOUR_MS));
    expect(parts.reduce((a, x) => a + x.bytes, 0n)).to.equal(bytes);
  });

  it('puts an interval ending exactly on the hour into the hour before', () => {
    expect(splitAcrossHours(H10 + 30 * 60_000, H10 + HOUR_MS, 10n)).to.deep.equal([{ hourMs: H10, bytes: 10n }]);
  });

  it('gives a zero-length interval to the hour containing its instant', () => {
    expect(splitAcrossHours(H10 + HOUR_MS, H10 + HOUR_MS, 10n)).to.deep.equal([{ hourMs: H10 + HOUR_MS, bytes: 10n }]);
  });

  it('adds download and upload of intervals into hours', () => {
    const hours = addToHours(new Map(), [
      { fromMs: H10 + 45 * 60_000, toMs: H10 + 75 * 60_000, download: 10n, upload: 4n, reset: false },
      { fromMs: H10, toMs: H10 + 60_000, download: 1n, upload: 1n, reset: false },
    ]);
    expect([...hours.entries()]).to.deep.equal([
      [H10, { download: 6n, upload: 3n }],
      [H10 + HOUR_MS, { download: 5n, upload: 2n }],
    ]);
  });
});
