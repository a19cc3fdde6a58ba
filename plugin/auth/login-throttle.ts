import { createHash } from 'node:crypto';

/**
 * Limits on failed logins, counted over a sliding window in the database so that every plugin
 * instance behind a load balancer sees the same counts.
 *
 * Two counters, because each alone fails: per client address stops one machine guessing at many
 * accounts, but behind a proxy that is not trusted every client has the proxy's address (one
 * attacker would lock every staff member out), and a botnet has many addresses; per account stops
 * guessing at one account from many addresses, but alone would let one machine try every
 * account. The account limit is the higher one: someone who targets one staff member can lock
 * that member out for a window, but not everyone.
 */
export interface LoginLimits {
  windowMs: number;
  perAddress: number;
  perAccount: number;
}

export const LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, perAddress: 10, perAccount: 20 };

export type ThrottleScope = 'address' | 'account';

export interface ThrottleKeys {
  address: string;
  account: string;
}

/**
 * Counter keys. They are hashes: the table then holds no e-mail addresses or client IPs in clear,
 * and an over-long e-mail cannot overflow the column. The account is normalised as the users
 * table normalises e-mails, so "Admin@ISP.example " counts against admin@isp.example.
 */
export function throttleKeys(email: string, address: string): ThrottleKeys {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  return { address: h(`address:${address}`), account: h(`account:${email.trim().toLowerCase()}`) };
}

export type LoginVerdict = { allowed: true } | { allowed: false; scope: ThrottleScope; retryAfterSeconds: number };

/**
 * Whether another attempt may be checked, given the times of the failures still in the window
 * (any order). When refused, says when the oldest failure that keeps the count at its limit
 * leaves the window.
 */
export function loginVerdict(failures: { address: readonly Date[]; account: readonly Date[] }, now: Date, limits: LoginLimits = LOGIN_LIMITS): LoginVerdict {
  const since = now.getTime() - limits.windowMs;
  let worst: { scope: ThrottleScope; until: number } | null = null;
  for (const [scope, times, limit] of [
    ['address', failures.address, limits.perAddress],
    ['account', failures.account, limits.perAccount],
  ] as const) {
    const recent = times.map((t) => t.getTime()).filter((t) => t > since).sort((a, b) => b - a);
    if (recent.length < limit) continue;
    // The limit-th newest failure is the one whose expiry brings the count back under the limit.
    const until = recent[limit - 1]! + limits.windowMs;
    if (!worst || until > worst.until) worst = { scope, until };
  }
  if (!worst) return { allowed: true };
  return { allowed: false, scope: worst.scope, retryAfterSeconds: Math.max(1, Math.ceil((worst.until - now.getTime()) / 1000)) };
}
