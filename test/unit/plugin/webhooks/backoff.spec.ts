import { expect } from 'chai';
import { isExhausted, retryDelayMs } from '../../../../plugin/webhooks/index.js';

describe('webhook retry backoff', () => {
  const policy = { baseSeconds: 30, maxSeconds: 3600 };

  it('doubles the step per attempt, with jitter between half and all of it', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy, 0))).to.deep.equal([15_000, 30_000, 60_000, 120_000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy, 0.999999))).to.deep.equal([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(2, policy, 0.5)).to.equal(45_000);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(40, policy, 0.999999)).to.be.within(3_599_990, 3_600_000);
    expect(retryDelayMs(40, policy, 0)).to.equal(1_800_000);
  });

  it('gives up after the last allowed attempt', () => {
    expect([isExhausted(9, 10), isExhausted(10, 10), isExhausted(11, 10)]).to.deep.equal([false, true, true]);
  });
});
