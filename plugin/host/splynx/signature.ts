import { createHmac } from 'node:crypto';

/**
 * Splynx API key signature: uppercase hex of HMAC-SHA256 over `<nonce><api key>` with the API
 * secret as the key (Splynx API v2.0 documentation, "By signature"; SplynxApi.php `signature()`).
 */
export function splynxSignature(nonce: number | bigint | string, apiKey: string, apiSecret: string): string {
  return createHmac('sha256', apiSecret).update(`${nonce}${apiKey}`).digest('hex').toUpperCase();
}

/**
 * Nonces that only ever grow, per key: Splynx seeds its PHP client with hundredths of a second
 * and adds one per request. A clock that steps back cannot make one repeat.
 */
export class NonceSource {
  private last = 0;
  constructor(private readonly now: () => number = Date.now) {}
  next(): number {
    this.last = Math.max(this.last + 1, Math.round(this.now() / 10));
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
