import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { aaaAnswer, loginOf } from './aaa.js';
import type { EnforcementService } from './enforcement.service.js';

export const AAA_AUTHORIZE_PATH = '/aaa/v1/authorize';
export const AAA_SECRET_HEADER = 'x-octet-aaa-secret';

function sameSecret(given: unknown, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Today's local date in the ISP's zone ('YYYY-MM-DD'). */
function localDate(ms: number, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/**
 * POST /aaa/v1/authorize for FreeRADIUS's rlm_rest: protected by a shared secret header
 * (`X-Octet-AAA-Secret`, enforcement.aaa.secret), not by the caller's address, so FreeRADIUS may
 * run on another host. Without a configured secret it answers 503 (rest: fail).
 */
export function mountAaa(app: express.Express, deps: { enforcement: EnforcementService; secret: string | null; suspendedAddressList: string; clock: Clock; timezone: string; logger: Logger }): void {
  const router = express.Router();
  router.post(AAA_AUTHORIZE_PATH, async (req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (deps.secret === null) return void res.status(503).end();
    if (!sameSecret(req.headers[AAA_SECRET_HEADER], deps.secret)) return void res.status(401).end();
    next();
  }, express.json({ limit: '64kb', type: () => true }), async (req: express.Request, res: express.Response) => {
    const login = loginOf(req.body);
    // No login: nothing to answer for (rest: notfound -> reject).
    const state = login === null ? null : await deps.enforcement.forLogin(login, localDate(deps.clock.now().getTime(), deps.timezone));
    const answer = aaaAnswer(state, { suspendedAddressList: deps.suspendedAddressList });
    if (answer.status === 401) deps.logger.info('AAA: login refused by administrative status', { login, reason: answer.body['reply:Reply-Message']?.value });
    if (answer.status === 200 || answer.status === 401) res.status(answer.status).type('application/json').send(JSON.stringify(answer.body));
    else res.status(answer.status).end();
  });
  router.use(AAA_AUTHORIZE_PATH, (err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // Malformed JSON is the caller's fault (400 -> rest: invalid); anything else is ours (fail).
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return void res.status(400).end();
    deps.logger.error('AAA authorize failed', { err });
    res.status(500).end();
  });
  app.use(router);
}
