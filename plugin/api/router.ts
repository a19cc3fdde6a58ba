import express, { type NextFunction, type Request, type Response } from 'express';
import { hasRole, type ApiTokenInfo, type Role } from '../auth/index.js';
import { AuthenticationError, ForbiddenError, UserError } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import type { WebContribution } from '../web/contribution.js';
import { clientHttpError, httpStatusOf, retryAfterOf } from '../web/http-errors.js';

export function bearerToken(req: Request): string | null {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m ? m[1]! : null;
}

export function apiToken(res: Response): ApiTokenInfo {
  return res.locals.apiToken as ApiTokenInfo;
}

/** Route guard for the REST API: the token's role must be at least `role`. */
export function requireApiRole(role: Role) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const token = res.locals.apiToken as ApiTokenInfo | undefined;
    if (token && hasRole(token.role, role)) return next();
    next(new ForbiddenError(`this needs a token with the ${role} role`));
  };
}

/** Maps any error to the API's JSON error shape; one place for status codes. */
export function apiErrorHandler(ctx: PluginContext) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    // Bad requests that express or body-parser caught (too large, bad JSON, bad charset…).
    const client = err instanceof UserError ? null : clientHttpError(err);
    const status = client ? client.status : httpStatusOf(err);
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== null) res.set('Retry-After', String(retryAfter));
    if (status >= 500) ctx.logger[retryAfter !== null ? 'warn' : 'error']('API request failed', { err, method: req.method, path: req.path });
    const message = client ? client.message : err instanceof UserError ? err.message : status === 503 && retryAfter !== null ? 'the database is busy; retry shortly' : 'internal error';
    res.status(status).json({ error: { message, issues: err instanceof UserError ? err.issues : [] } });
  };
}

/** /api/v1: JSON in and out, bearer API tokens, roles per route. */
export function apiRouter(ctx: PluginContext, contributions: WebContribution[]): express.Router {
  const router = express.Router();
  // The token is checked before the body is read: an anonymous caller gets 401, not 2 MB parsed.
  router.use(async (req, res, next) => {
    const token = bearerToken(req);
    if (!token) return next(new AuthenticationError('missing bearer token (Authorization: Bearer <token>)'));
    res.locals.apiToken = await ctx.services.auth.authenticateToken(token);
    next();
  });
  router.use(express.json({ limit: '2mb' }));
  router.get('/me', (_req, res) => {
    const t = apiToken(res);
    res.json({ token: { id: t.id, name: t.name, role: t.role, prefix: t.prefix } });
  });
  for (const c of contributions) c.api?.(router);
  router.use((_req, res) => {
    res.status(404).json({ error: { message: 'no such endpoint', issues: [] } });
  });
  router.use(apiErrorHandler(ctx));
  return router;
}
