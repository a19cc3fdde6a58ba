/**
 * Retry delays for an unreachable router: exponential, capped, with "equal jitter" (half fixed,
 * half random) so that many agents restarting together do not hit a router in lockstep.
 * Pure: the random source is an argument.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
