import { expect } from 'chai';
import { afterFailure, MAX_RETRY_DELAY_MS, retryDelayMs } from '../../../../../plugin/invoicing/delivery/backoff.js';

describe('delivery retries', () => {
  const policy = { maxAttempts: 4, baseMs: 60_000 };

  it('waits a minute, then twice as long each time, never more than six hours', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy))).to.deep.equal([60_000, 120_000, 240_000, 480_000]);
    expect(retryDelayMs(50, policy)).to.equal(MAX_RETRY_DELAY_MS);
  });

  it('gives up after the last attempt, and at once on a failure that retrying cannot fix', () => {
    expect(afterFailure(1, 1000, policy, true)).to.deep.equal({ status: 'pending', nextAttemptAtMs: 61_000 });
    expect(afterFailure(4, 1000, policy, true)).to.deep.equal({ status: 'failed' });
    expect(afterFailure(1, 1000, policy, false)).to.deep.equal({ status: 'failed' });
  });
});
