import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express } from 'express';
import type { Logger } from '../../common/logger.js';

export const SPLYNX_WEBHOOK_PATH = '/hooks/splynx';

/** X-Splynx-Signature: hex HMAC-SHA1 of the raw body with the hook's secret (Splynx hooks documentation). */
export function splynxWebhookSignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha1', secret).update(rawBody).digest('hex');
}

export function verifySplynxWebhook(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !/^[0-9a-fA-F]{40}$/.test(header.trim())) return false;
  const expected = Buffer.from(splynxWebhookSignature(rawBody, secret), 'hex');
  const given = Buffer.from(header.trim().toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The `type` of a hook body, JSON or form-encoded (Splynx sends either). */
function typeOf(raw: Buffer, contentType: string | undefined): string | null {
  const text = raw.toString('utf8');
  try {
    if (contentType?.includes('json')) return String((JSON.parse(text) as { type?: unknown }).type ?? '') || null;
    return new URLSearchParams(text).get('type');
  } catch {
    return null;
  }
}

/**
 * POST /hooks/splynx: a signed `ping` is answered 200; a signed `event` starts a sync at once
 * (202, the sync runs after the answer) — the event's content is not trusted beyond "something
 * changed": the sync reads the truth from the API. A bad or missing signature is 401 and does nothing.
 */
export function mountSplynxWebhook(app: Express, deps: { secret: string; onEvent: () => void; logger: Logger }): void {
  app.post(SPLYNX_WEBHOOK_PATH, express.raw({ type: () => true, limit: '256kb' }), (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifySplynxWebhook(raw, req.get('x-splynx-signature'), deps.secret)) {
      deps.logger.warn('splynx webhook refused: bad signature');
      return void res.status(401).json({ error: 'bad signature' });
    }
    const type = typeOf(raw, req.get('content-type'));
    if (type === 'ping') return void res.status(200).json({ ok: true });
    if (type !== 'event') return void res.status(422).json({ error: 'type must be ping or event' });
    res.status(202).json({ accepted: true });
    deps.onEvent();
  });
}
