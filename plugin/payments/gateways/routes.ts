import express, { type Request, type Response } from 'express';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { httpStatusOf } from '../../web/http-errors.js';
import type { GatewaysConfig } from './config.js';
import { genericIntent, stripeEvent, stripeIntent } from './events.js';
import { verifyGenericSignature, verifyStripeSignature } from './signature.js';
import type { WebhookService } from './webhook.service.js';

export const STRIPE_PATH = '/webhooks/stripe';
export const GENERIC_PATH = '/webhooks/generic/:name';
const MAX_BODY = '512kb';

/**
 * POST /webhooks/stripe and /webhooks/generic/:name: no login, no CSRF, verified by signature
 * instead. Mounted as a raw contribution, before the app's body parsers, so the HMAC is taken over
 * the bytes as sent (JSON.parse and re-serialising would change them). Answers are JSON; a bad,
 * stale or replayed signature is 400 and records nothing. Neither secrets nor signatures are logged.
 */
export function webhookRoutes(app: express.Express, deps: { config: GatewaysConfig; service: WebhookService; clock: Clock; logger: Logger }): void {
  const { config, service, clock, logger } = deps;
  const raw = express.raw({ type: () => true, limit: MAX_BODY });
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  const refuse = (res: Response, gateway: string, reason: string, status = 400) => {
    logger.warn('webhook refused', { gateway, reason });
    res.status(status).json({ error: reason });
  };
  const bodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  const json = (body: Buffer): unknown => {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
  };
  const run = async (res: Response, gateway: string, fn: () => Promise<unknown>) => {
    try {
      res.status(200).json(await fn());
    } catch (err) {
      const status = httpStatusOf(err);
      if (status >= 500) logger.error('webhook failed', { gateway, err });
      else logger.warn('webhook refused', { gateway, reason: (err as Error).message });
      // A 5xx makes the gateway deliver again later, which is what an outage needs.
      res.status(status).json({ error: status >= 500 ? 'internal error; deliver again later' : (err as Error).message });
    }
  };

  app.post(STRIPE_PATH, raw, async (req, res) => {
    const secret = config.stripe.webhookSecret;
    if (!secret) return refuse(res, 'stripe', 'Stripe webhooks are not configured (payments.stripe.webhookSecret)', 404);
    const body = bodyOf(req);
    const v = verifyStripeSignature(req.get('Stripe-Signature'), body, secret, nowSeconds(), config.stripe.toleranceSeconds);
    if (!v.ok) return refuse(res, 'stripe', v.reason);
    const e = stripeEvent(json(body));
    if (!e.ok) return refuse(res, 'stripe', e.reason);
    await run(res, 'stripe', async () => service.handle('stripe', v.timestamp, e.value, stripeIntent(e.value.type, e.value.object, e.value.created)));
  });

  app.post(GENERIC_PATH, raw, async (req, res) => {
    const name = String(req.params.name);
    const gw = Object.hasOwn(config.gateways, name) ? config.gateways[name] : undefined;
    if (!gw) return refuse(res, `generic:${name.slice(0, 40)}`, 'no such gateway is configured (payments.gateways)', 404);
    const body = bodyOf(req);
    const v = verifyGenericSignature(req.get('X-Octet-Signature'), req.get('X-Octet-Timestamp'), body, gw.secret, nowSeconds(), gw.toleranceSeconds);
    if (!v.ok) return refuse(res, `generic:${name}`, v.reason);
    const parsed = genericIntent(json(body), gw.method);
    if (!parsed.ok) return refuse(res, `generic:${name}`, parsed.reason, 422);
    await run(res, `generic:${name}`, async () => service.handle(`generic:${name}`, v.timestamp, parsed.value, parsed.value.intent));
  });
}
