/**
 * When a failed delivery step (a PDF render, an e-mail) is tried again: the first retry after
 * `baseMs`, each next one twice as long, never more than six hours apart; after `maxAttempts`
 * attempts it is given up (left failed, visible, for staff to retry by hand).
 */
export const MAX_RETRY_DELAY_MS = 6 * 3600_000;

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
}

/** The wait before the attempt after `attempts` failed ones (attempts >= 1). */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(policy.baseMs * 2 ** exponent, MAX_RETRY_DELAY_MS);
}

export type AttemptOutcome = { status: 'pending'; nextAttemptAtMs: number } | { status: 'failed' };

/** What a failure of attempt number `attempts` leads to: another try later, or failed for good. */
export function afterFailure(attempts: number, nowMs: number, policy: RetryPolicy, retryable: boolean): AttemptOutcome {
  if (!retryable || attempts >= policy.maxAttempts) return { status: 'failed' };
  return { status: 'pending', nextAttemptAtMs: nowMs + retryDelayMs(attempts, policy) };
}

/** Error text as stored in last_error: one line, bounded (the column holds 1000 characters). */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000) || 'unknown error';
}
