/**
 * Write conflicts that the database resolved by rolling a whole transaction back: InnoDB's
 * deadlock victim, and on Galera a certification failure (another node committed a write to the
 * same rows first), which surfaces at COMMIT, or at the next statement of a transaction a
 * replicated write aborted, as the same error: ER_LOCK_DEADLOCK, 1213, "Deadlock found when
 * trying to get lock; try restarting transaction". Nothing of the transaction was kept, so work
 * that is safe to repeat (it writes only through that transaction, and reads again what it
 * decides on) runs again from the start.
 */

/** Attempts in all (the first one included) before the conflict is passed on. */
export const CONFLICT_ATTEMPTS = 5;

/** True when `err`, or an error it wraps (cause, original, parent), is a deadlock / certification conflict. */
export function isWriteConflict(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift() as { code?: unknown; errno?: unknown; cause?: unknown; original?: unknown; parent?: unknown } | null | undefined;
    if (!e || typeof e !== 'object' || seen.has(e) || seen.size > 8) continue;
    seen.add(e);
    if (e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213) return true;
    queue.push(e.original, e.parent, e.cause);
  }
  return false;
}

export interface ConflictRetryOptions {
  /** Attempts in all; default CONFLICT_ATTEMPTS. */
  attempts?: number;
  /** Wait before attempt n+1 (n = 1, 2, …); default: 10 ms × 2^(n-1), with jitter, so colliding writers part. */
  delayMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every conflict that is retried (for a log line or a counter). */
  onRetry?: (attempt: number, err: unknown) => void;
}

const defaultDelay = (attempt: number) => 10 * 2 ** (attempt - 1) * (0.5 + Math.random());
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `transaction` (which opens, runs and commits one whole transaction) again when it failed
 * with a write conflict, up to `attempts` times in all; any other error, and the last conflict,
 * is thrown as it came.
 */
export async function retryOnConflict<T>(transaction: () => Promise<T>, options: ConflictRetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? CONFLICT_ATTEMPTS);
  const delay = options.delayMs ?? defaultDelay;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (err) {
      if (attempt >= attempts || !isWriteConflict(err)) throw err;
      options.onRetry?.(attempt, err);
      await sleep(delay(attempt));
    }
  }
}
