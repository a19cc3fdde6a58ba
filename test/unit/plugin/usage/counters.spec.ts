import { expect } from 'chai';
import { pruneSplit, sessionIntervals, type CounterPoint } from '../../../../plugin/usage/counters.js';

const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
const MIN = 60_000;
const p = (min: number, download: bigint, upload = 0n): CounterPoint => ({ atMs: T0 + min * MIN, download, upload });
const total = (r: ReturnType<typeof sessionIntervals>) => r.intervals.reduce((a, i) => a + i.download, 0n);

describe('usage counters (one session)', () => {
  it('counts the first observation from zero, over the time since the session started', () => {
    const r = sessionIntervals({ points: [p(10, 500n, 50n)], anchor: null, sessionStartMs: T0 });
    expect(r.intervals).to.deep.equal([{ fromMs: T0, toMs: T0 + 10 * MIN, download: 500n, upload: 50n, reset: false }]);
  });

  it('counts the deltas between successive observations', () => {
    const r = sessionIntervals({ points: [p(5, 100n), p(10, 250n), p(15, 400n)], anchor: null, sessionStartMs: null });
    expect(r.intervals.map((i) => i.download)).to.deep.equal([100n, 150n, 150n]);
  });

  it('adds nothing for a repeated observation', () => {
    const once = sessionIntervals({ points: [p(5, 100n), p(10, 250n)], anchor: null, sessionStartMs: null });
    const twice = sessionIntervals({ points: [p(5, 100n), p(10, 250n), p(10, 250n), p(5, 100n)], anchor: null, sessionStartMs: null });
    expect(twice.intervals).to.deep.equal(once.intervals);
  });

  it('places a late observation by its observed time: lower counters from earlier are not a reset', () => {
    // 250 at 10 min arrives after 400 at 15 min.
    const r = sessionIntervals({ points: [p(5, 100n), p(15, 400n), p(10, 250n)], anchor: null, sessionStartMs: null });
    expect(r.intervals.some((i) => i.reset)).to.equal(false);
    expect(total(r)).to.equal(400n);
    expect(r.intervals.map((i) => [i.toMs, i.download])).to.deep.equal([[T0 + 5 * MIN, 100n], [T0 + 10 * MIN, 150n], [T0 + 15 * MIN, 150n]]);
  });

  it('starts a new segment when a counter goes down at a later time, counting the new value from zero', () => {
    const r = sessionIntervals({ points: [p(5, 1000n, 10n), p(10, 300n, 5n), p(15, 500n, 9n)], anchor: null, sessionStartMs: null });
    expect(total(r)).to.equal(1000n + 300n + 200n);
    expect(r.intervals[1]).to.include({ reset: true, download: 300n, upload: 5n });
  });

  it('treats a fall in the upload counter alone as a reset too', () => {
    const r = sessionIntervals({ points: [p(5, 100n, 100n), p(10, 200n, 20n)], anchor: null, sessionStartMs: null });
    expect(r.intervals[1]).to.include({ reset: true, download: 200n, upload: 20n });
  });

  it('handles counters past 2^32 (gigawords) exactly', () => {
    const big = (1n << 40n) + 12345n;
    const r = sessionIntervals({ points: [p(5, big), p(10, big + (1n << 33n))], anchor: null, sessionStartMs: null });
    expect(total(r)).to.equal(big + (1n << 33n));
  });

  it('continues from the anchor after pruning and ignores observations at or before it', () => {
    const anchor = p(10, 250n);
    const r = sessionIntervals({ points: [p(5, 100n), p(10, 250n), p(15, 400n)], anchor, sessionStartMs: null });
    expect(r.ignoredLate).to.equal(2);
    expect(r.intervals).to.deep.equal([{ fromMs: T0 + 10 * MIN, toMs: T0 + 15 * MIN, download: 150n, upload: 0n, reset: false }]);
  });

  it('prunes the observations at or before the cutoff and anchors on the last of them', () => {
    const split = pruneSplit([p(15, 400n), p(5, 100n), p(10, 250n)], T0 + 10 * MIN);
    expect(split?.anchor).to.deep.equal(p(10, 250n));
    expect(split?.pruned.length).to.equal(2);
    expect(split?.kept).to.deep.equal([p(15, 400n)]);
    expect(pruneSplit([p(15, 400n)], T0)).to.equal(null);
  });
});
