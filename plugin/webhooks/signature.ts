import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `Octet-Signature` header, in Stripe's scheme: `t=<unix seconds>,v1=<hex>`, where the hex is
 * HMAC-SHA256 under the endpoint's secret of `<t>.<raw body>`. The timestamp is signed with the
 * body, so a receiver that refuses old timestamps (say, five minutes) refuses replayed captures.
 */
export const SIGNATURE_HEADER = 'Octet-Signature';

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

/**
 * Checks a header as a receiver would: some v1 signature matches and the timestamp is within
 * `toleranceSeconds` of `nowSeconds`. Returns why not, or null when it is good.
 */
export function verifySignature(header: string, secret: string, body: string, nowSeconds: number, toleranceSeconds = 300): string | null {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t)) return 'no timestamp';
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return 'timestamp outside the tolerance';
  const expected = Buffer.from(signatureOf(secret, t, body));
  const ok = parts.filter(([k]) => k === 'v1').some(([, v]) => {
    const got = Buffer.from(v ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  return ok ? null : 'no matching signature';
}
