/**
 * When a failed delivery is tried again: exponential backoff from `baseSeconds` (doubling per
 * attempt, capped at `maxSeconds`) with jitter, so endpoints that failed together (a receiver
 * down for an hour) are not all retried in the same second. `random` is in [0, 1); the delay is
 * between half and all of the exponential step.
 */
export function retryDelayMs(attempt: number, policy: { baseSeconds: number; maxSeconds: number }, random: number): number {
  const step = Math.min(policy.baseSeconds * 2 ** Math.max(0, attempt - 1), policy.maxSeconds) * 1000;
  return Math.round(step / 2 + (step / 2) * random);
}

/** After `attempt` failed attempts, is the delivery dead (no more retries)? */
export function isExhausted(attempt: number, maxAttempts: number): boolean {
  return attempt >= maxAttempts;
}
