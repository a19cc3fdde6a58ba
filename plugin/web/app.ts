import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { UserError } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import type { WebContribution } from './contribution.js';
import { createCsrf } from './csrf.js';
import { requireLogin } from './guards.js';
import { navFor, type NavItem } from './nav.js';
import { DatabaseSessionStore } from './session-store.js';
import { clientHttpError, httpStatusOf, retryAfterOf } from './http-errors.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { apiRouter } from '../api/router.js';
import { mountPaths, panelStaff, type PanelAuth } from './mount.js';

export type { WebContribution } from './contribution.js';

export const VIEWS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

export interface WebAppOptions {
  sessionSecret: string;
  contributions: WebContribution[];
  isReady: () => boolean;
  /**
   * Who may see the pages: 'standalone' (the default: Octet's own login page and sessions) or
   * the host panel's own authentication, which has decided who the request is from.
   */
  auth?: 'standalone' | PanelAuth;
  /** Origins that may frame the pages (a host panel's iframe), besides Octet's own. */
  frameAncestors?: string[];
}

export function createWebApp(ctx: PluginContext, options: WebAppOptions): express.Express {
  const { config, logger } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  // Under a mount path (/billing in a host panel), pages and redirects get its prefix.
  app.use(mountPaths());

  const framed = options.frameAncestors && options.frameAncestors.length > 0;
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'upgrade-insecure-requests': null,
          ...(framed ? { 'frame-ancestors': ["'self'", ...options.frameAncestors!] } : {}),
        },
      },
      // X-Frame-Options cannot name other origins: with frame-ancestors set it would contradict it.
      xFrameOptions: framed ? false : undefined,
      strictTransportSecurity: config.http.secureCookies === true,
    }),
  );

  healthRoutes(app, ctx, options.isReady);
  for (const c of options.contributions) c.raw?.(app);
  app.use('/api/v1', apiRouter(ctx, options.contributions));

  // Admin pages carry customer data and, once, new tokens: no browser or proxy may keep a copy
  // (the back button after logout, a shared computer).
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(
    session({
      name: 'octet.sid',
      secret: options.sessionSecret,
      store: new DatabaseSessionStore(ctx.models, ctx.clock, config.http.sessionHours * 3600_000, logger),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.http.secureCookies,
        maxAge: config.http.sessionHours * 3600_000,
      },
    }),
  );

  const csrf = createCsrf({ secret: options.sessionSecret, secureCookies: config.http.secureCookies });
  app.use((req, res, next) => {
    res.locals.csrfToken = () => csrf.token(req, res);
    next();
  });
  // A multipart upload's token is in its body, which only its own parser reads: its check is
  // deferred to after the login check and that parser (below), never skipped.
  const uploads = options.contributions.flatMap((c) => c.uploads ?? []);
  const isUpload = (req: Request) => req.method === 'POST' && uploads.some((u) => u.path === req.path) && typeof req.is('multipart/form-data') === 'string';
  app.use((req, res, next) => (isUpload(req) ? next() : csrf.protect(req, res, next)));

  const allNav: NavItem[] = [
    ...options.contributions.flatMap((c) => c.nav ?? []),
    { href: '/admin/users', label: 'Staff', role: 'admin', order: 900 },
    { href: '/admin/tokens', label: 'API tokens', role: 'admin', order: 910 },
  ];
  const panel = options.auth && options.auth !== 'standalone' ? options.auth : null;
  const staffOf = panel ? panelStaff(ctx) : null;
  app.use(async (req, res, next) => {
    res.locals.user = null;
    res.locals.nav = [];
    res.locals.path = req.path;
    res.locals.panelAuth = panel !== null;
    if (panel) {
      // The panel signs people in; without one of its users there is nothing of Octet to see.
      const who = await panel.resolveUser(req);
      const user = who ? await staffOf!(who) : null;
      if (!user) {
        const status = who ? 403 : 401;
        return res.status(status).render('error', { title: status === 401 ? 'Not signed in' : 'Not allowed', status, message: status === 401 ? 'Sign in to the admin panel first.' : 'Your account is switched off in Octet.' });
      }
      // The session holds the CSRF token; a different panel user in the same browser gets a new one.
      if (req.session.userId !== user.id) {
        if (req.session.userId !== undefined) await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
        req.session.userId = user.id;
      }
      res.locals.user = user;
      res.locals.nav = navFor(allNav, user.role);
      return next();
    }
    const userId = req.session.userId;
    if (userId !== undefined) {
      const user = await ctx.repos.users.findById(userId);
      if (user && !user.disabled) {
        res.locals.user = user;
        res.locals.nav = navFor(allNav, user.role);
      } else {
        delete req.session.userId;
      }
    }
    next();
  });

  if (!panel) authRoutes(app, ctx);
  const pages = express.Router();
  pages.use(requireLogin);
  for (const u of uploads) {
    pages.post(u.path, (req, res, next) => {
      if (!isUpload(req)) return next();
      u.parse(req, res, (err?: unknown) => {
        if (err) return next(err);
        next(csrf.isRequestValid(req) ? undefined : csrf.invalidError);
      });
    });
  }
  dashboardRoutes(pages, ctx, options.contributions);
  adminRoutes(pages, ctx);
  for (const c of options.contributions) c.pages?.(pages);
  app.use(pages);

  app.use((_req, res) => {
    res.status(404).render('error', { title: 'Not found', status: 404, message: 'There is no such page.' });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const isCsrf = (err as { code?: string }).code === 'EBADCSRFTOKEN';
    // Bad requests that express or body-parser caught (a form over the size limit, a bad URL).
    const client = isCsrf || err instanceof UserError ? null : clientHttpError(err);
    const status = isCsrf ? 403 : client ? client.status : httpStatusOf(err);
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== null) res.set('Retry-After', String(retryAfter));
    if (status >= 500) logger[retryAfter !== null ? 'warn' : 'error']('request failed', { err, method: req.method, path: req.path });
    const message = isCsrf
      ? 'The form was stale or forged (CSRF check failed). Go back, reload the page and try again.'
      : client
        ? `The request was refused: ${client.message}.`
        : err instanceof UserError
          ? err.message
          : 'Something went wrong on our side; it has been logged.';
    res.status(status).render('error', { title: 'Error', status, message });
  });
  return app;
}

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}
