import { expect } from 'chai';
import { backoffDelay } from '../../../../agent/routeros/backoff.js';

describe('reconnect backoff', () => {
  const policy = { initialMs: 5_000, maxMs: 300_000 };

  it('doubles per failure, between half and all of the step', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).to.deep.equal([2_500, 5_000, 10_000, 20_000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).to.deep.equal([5_000, 10_000, 20_000, 40_000]);
  });

  it('never waits longer than the cap, however many failures', () => {
    expect(backoffDelay(50, policy, () => 1)).to.equal(300_000);
    expect(backoffDelay(50, policy, () => 0)).to.equal(150_000);
  });
});
