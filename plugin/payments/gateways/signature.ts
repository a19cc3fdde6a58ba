import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, pure (the time is an argument).
 *
 * Stripe (https://docs.stripe.com/webhooks#verify-manually): the `Stripe-Signature` header is
 * `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`; the expected v1 is HMAC-SHA256, keyed with the
 * endpoint's whole signing secret (whsec_…), of `${t}.${raw body}`. Any v1 may match (during a
 * secret roll there are several); other schemes (v0) are ignored; the comparison is constant-time;
 * a timestamp further than the tolerance (300 s by default) from now is refused, so a captured
 * request cannot be replayed later.
 *
 * The generic scheme is the same construction with its own headers: X-Octet-Timestamp (unix
 * seconds) and X-Octet-Signature (hex, optionally prefixed `sha256=`).
 */
export type Verified = { ok: true; timestamp: number } | { ok: false; reason: string };

export function hmacHex(secret: string, timestamp: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest('hex');
}

function sameHex(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(givenHex.toLowerCase(), 'hex'));
}

function checkTime(timestamp: string, nowSeconds: number, toleranceSeconds: number): Verified {
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'the timestamp is not unix seconds' };
  const t = Number(timestamp);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: `the timestamp is outside the tolerance of ${toleranceSeconds} s` };
  return { ok: true, timestamp: t };
}

export function verifyStripeSignature(header: string | undefined, rawBody: Buffer, secret: string, nowSeconds: number, toleranceSeconds = 300): Verified {
  if (!header) return { ok: false, reason: 'no Stripe-Signature header' };
  const pairs = header.split(',').map((p) => {
    const i = p.indexOf('=');
    return i < 0 ? ['', ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()];
  });
  const ts = pairs.filter(([k]) => k === 't').map(([, v]) => v!);
  const v1 = pairs.filter(([k]) => k === 'v1').map(([, v]) => v!);
  if (ts.length !== 1 || v1.length === 0) return { ok: false, reason: 'the Stripe-Signature header has no timestamp or no v1 signature' };
  const expected = hmacHex(secret, ts[0]!, rawBody);
  // Every candidate is compared (no early exit), so timing says nothing about which one failed.
  let match = false;
  for (const s of v1) match = sameHex(expected, s) || match;
  if (!match) return { ok: false, reason: 'no v1 signature matches the payload' };
  return checkTime(ts[0]!, nowSeconds, toleranceSeconds);
}

export function verifyGenericSignature(signature: string | undefined, timestamp: string | undefined, rawBody: Buffer, secret: string, nowSeconds: number, toleranceSeconds = 300): Verified {
  if (!signature || !timestamp) return { ok: false, reason: 'no X-Octet-Signature or X-Octet-Timestamp header' };
  const given = signature.trim().replace(/^sha256=/i, '');
  if (!sameHex(hmacHex(secret, timestamp.trim(), rawBody), given)) return { ok: false, reason: 'the signature does not match the payload' };
  return checkTime(timestamp.trim(), nowSeconds, toleranceSeconds);
}

/** Signs like Stripe does (for tests and for a gateway that wants to call us): the header value. */
export function stripeSignatureHeader(secret: string, rawBody: Buffer | string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, String(timestamp), Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8'))}`;
}
