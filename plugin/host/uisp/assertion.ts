import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The page assertion the UISP plugin (public.php) signs for a signed-in staff member and Octet
 * checks before it trusts who is calling: base64url(JSON payload) "." base64url(HMAC-SHA256 of
 * that first part under the shared signing key). The payload says who (userId, username,
 * userGroup), for whom (aud), when (iat, exp) and carries a nonce so that it is used once.
 */
export const ASSERTION_AUDIENCE = 'octet/uisp';

export interface AssertionPayload {
  v: 1;
  aud: typeof ASSERTION_AUDIENCE;
  userId: number;
  username: string;
  userGroup: string;
  iat: number;
  exp: number;
  nonce: string;
  clientId?: number;
}

export type AssertionCheck = { ok: true; payload: AssertionPayload } | { ok: false; reason: string };

const b64url = (buf: Buffer) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function signAssertion(payload: AssertionPayload, key: string): string {
  const body = b64url(Buffer.from(JSON.stringify(payload), 'utf8'));
  return `${body}.${b64url(createHmac('sha256', key).update(body).digest())}`;
}

/**
 * Checks signature, shape, audience and time (nowSeconds within [iat - skew, exp], and no
 * assertion valid for longer than maxAgeSeconds). Whether the nonce was seen is the caller's
 * second step (it needs shared storage).
 */
export function checkAssertion(token: string, key: string, nowSeconds: number, opts: { maxAgeSeconds: number; skewSeconds?: number }): AssertionCheck {
  const skew = opts.skewSeconds ?? 5;
  if (typeof token !== 'string' || token.length > 4096) return { ok: false, reason: 'malformed' };
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(m[1]!).digest();
  const given = Buffer.from(m[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  let p: Partial<AssertionPayload>;
  try {
    p = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8')) as Partial<AssertionPayload>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  if (p.v !== 1 || p.aud !== ASSERTION_AUDIENCE || !int(p.userId) || !int(p.iat) || !int(p.exp) || typeof p.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(p.nonce) || typeof p.userGroup !== 'string' || typeof p.username !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  if (p.clientId !== undefined && !int(p.clientId)) return { ok: false, reason: 'malformed' };
  if (p.exp! - p.iat! > opts.maxAgeSeconds) return { ok: false, reason: 'valid for too long' };
  if (nowSeconds > p.exp!) return { ok: false, reason: 'expired' };
  if (nowSeconds < p.iat! - skew) return { ok: false, reason: 'not yet valid' };
  return { ok: true, payload: p as AssertionPayload };
}

/** Remembers nonces until they expire: `claim` is true the first time, false for a replay. */
export interface NonceStore {
  claim(nonce: string, expiresAtSeconds: number, nowSeconds: number): Promise<boolean>;
}

/**
 * One process's memory of nonces. Enough for a single Octet instance; several instances behind a
 * load balancer need a shared store (a database table) so that a nonce used on one is refused
 * on the others.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}

  async claim(nonce: string, expiresAtSeconds: number, nowSeconds: number): Promise<boolean> {
    if (this.seen.size >= this.maxEntries / 2) for (const [n, exp] of this.seen) if (exp < nowSeconds) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    // Full of live nonces: refusing is safer than forgetting one that may come back.
    if (this.seen.size >= this.maxEntries) return false;
    this.seen.set(nonce, expiresAtSeconds);
    return true;
  }
}
