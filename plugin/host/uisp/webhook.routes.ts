import express from 'express';
import type { Logger } from '../../common/logger.js';
import type { UispClient } from './client.js';
import { UispApiError } from './errors.js';
import { parseForwardedEvent, UispWebhookService, type UispWebhookPorts } from './webhook.service.js';

export const UISP_WEBHOOK_PATH = '/host/uisp/webhook';

/**
 * POST /host/uisp/webhook: CRM webhook events forwarded by the plugin's public.php (or sent by
 * the CRM directly). No login and no CSRF: an event counts only once the CRM confirms it
 * (UispWebhookService). Answers 200 when applied, 202 when ignored (unknown to the CRM, or
 * nothing to do), 400 for a body that is no event or differs from the CRM's, 503 when the CRM
 * or Octet could not be asked (the sender may retry; applying twice records nothing twice).
 */
export function uispWebhookRoutes(deps: { client: UispClient; ports: UispWebhookPorts; logger: Logger }): express.Router {
  const router = express.Router();
  const service = new UispWebhookService(deps);
  const json = express.json({ limit: '64kb', type: () => true });
  router.post(UISP_WEBHOOK_PATH, json, async (req, res) => {
    const parsed = parseForwardedEvent(req.body);
    if ('problem' in parsed) {
      deps.logger.warn('UISP webhook refused', { reason: parsed.problem });
      res.status(400).json({ error: parsed.problem });
      return;
    }
    try {
      const outcome = await service.handle(parsed.event);
      res.status(outcome.status === 'done' ? 200 : outcome.status === 'ignored' ? 202 : 400).json(outcome);
    } catch (err) {
      const crm = err instanceof UispApiError;
      deps.logger.error('UISP webhook failed', { uuid: parsed.event.uuid, err: (err as Error).message });
      res.status(503).set('Retry-After', '30').json({ error: crm ? 'the CRM could not be asked to confirm the event' : 'the event could not be applied' });
    }
  });
  // A body express.json cannot read (not JSON, too large) is the sender's mistake.
  router.use(UISP_WEBHOOK_PATH, (err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(400).json({ error: 'the body must be JSON, at most 64 KiB' });
      return;
    }
    next(err);
  });
  return router;
}
