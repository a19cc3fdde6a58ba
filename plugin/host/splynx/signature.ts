import { createHmac } from 'node:crypto';

/**
 * Splynx API key signature: uppercase hex of HMAC-SHA256 over `<nonce><api key>` with the API
 * secret as the key (Splynx API v2.0 documentation, "By signature"; SplynxApi.php `signature()`).
 */
export function splynxSignature(nonce: number | bigint | string, apiKey: string, apiSecret: string): string {
  return createHmac('sha256', apiSecret).update(`${nonce}${apiKey}`).digest('hex').toUpperCase();
}

/** Microseconds since the epoch: the wall clock at process start plus the monotonic time since, not below the wall clock now. */
export function epochMicros(): number {
  return Math.max(Math.floor((performance.timeOrigin + performance.now()) * 1000), Date.now() * 1000);
}

/**
 * Splynx refuses a signed request whose nonce is not above the last one it saw for the API key
 * (its PHP client seeds a counter with hundredths of a second and adds one per request). A
 * per-process counter breaks that when two plugin instances (or a restart within the same
 * hundredth) share one key: each starts where the clock is and the second one's nonces fall
 * below the first one's.
 *
 * The rule: nonce = max(last nonce of this process + 1, current time in microseconds since the
 * epoch). Across processes on one machine the shared clock orders them: a nonce taken later is
 * larger unless two processes take one within the same microsecond (or one process took over a
 * million per second and ran ahead of the clock). Across machines it holds as far as their
 * clocks agree (NTP): requests of two instances on one key closer together than their clock
 * skew can still reach Splynx out of order, and the later one is refused; give each instance its
 * own API key where that matters. A clock that steps back cannot make a nonce repeat within a
 * process. At about 1.8e15 today the value is a safe integer (below 2^53) until the year 2255.
 */
export class NonceSource {
  private last = 0;
  constructor(private readonly nowMicros: () => number = epochMicros) {}
  next(): number {
    this.last = Math.max(this.last + 1, Math.floor(this.nowMicros()));
    return this.last;
  }
}

/** PHP http_build_query's form, which Splynx parses: `a[b][0]=x&a[b][1]=y`, RFC 3986 escapes. */
export function buildQuery(params: Record<string, unknown>): string {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${prefix}[${i}]`, x));
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(`${prefix}[${k}]`, x);
    else out.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(v))}`);
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out.join('&');
}

/** The Authorization header of a signed request; `sash` (an admin session hash) rides along. */
export function signatureHeader(apiKey: string, apiSecret: string, nonce: number, sash?: string): string {
  const parts: Record<string, string | number> = { key: apiKey, signature: splynxSignature(nonce, apiKey, apiSecret), nonce };
  if (sash) parts.sash = sash;
  return `Splynx-EA (${buildQuery(parts)})`;
}

export function tokenHeader(accessToken: string): string {
  return `Splynx-EA (${buildQuery({ access_token: accessToken })})`;
}
