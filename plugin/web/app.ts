import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csrfSync } from 'csrf-sync';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type { StaffUser } from '../auth/users.repository.js';
import { hasRole, type Role } from '../auth/roles.js';
import { ForbiddenError, httpStatusOf, UserError } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import { navFor, type NavItem } from './nav.js';
import { DatabaseSessionStore } from './session-store.js';
import { clientHttpError } from './http-errors.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { apiRouter } from '../api/router.js';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
  }
}

export const VIEWS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

/** What a plugin module contributes to the HTTP surface. */
export interface WebContribution {
  nav?: NavItem[];
  /** Admin pages; mounted behind login and CSRF protection. */
  pages?: (router: Router) => void;
  /** REST API under /api/v1; mounted behind bearer-token authentication. */
  api?: (router: Router) => void;
  /** Routes with their own authentication (the agent API), mounted before the others. */
  raw?: (app: express.Express) => void;
  /**
   * Multipart form posts (file uploads), which the app's body parser cannot read. The app runs
   * `parse` for a POST to `path` only after the login check, then checks CSRF on the fields it
   * parsed; the module's page route for `path` follows as for any form.
   */
  uploads?: Array<{ path: string; parse: RequestHandler }>;
}

export interface WebAppOptions {
  sessionSecret: string;
  contributions: WebContribution[];
  isReady: () => boolean;
}

export function createWebApp(ctx: PluginContext, options: WebAppOptions): express.Express {
  const { config, logger } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'upgrade-insecure-requests': null },
      },
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
      store: new DatabaseSessionStore(ctx.models, ctx.clock, config.http.sessionHours * 3600_000),
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

  const csrf = csrfSync({
    size: 32,
    getTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf ?? (req.headers['x-csrf-token'] as string | undefined),
  });
  app.use((req, res, next) => {
    res.locals.csrfToken = () => csrf.generateToken(req);
    next();
  });
  // A multipart upload's token is in its body, which only its own parser reads: its check is
  // deferred to after the login check and that parser (below), never skipped.
  const uploads = options.contributions.flatMap((c) => c.uploads ?? []);
  const isUpload = (req: Request) => req.method === 'POST' && uploads.some((u) => u.path === req.path) && typeof req.is('multipart/form-data') === 'string';
  app.use((req, res, next) => (isUpload(req) ? next() : csrf.csrfSynchronisedProtection(req, res, next)));

  const allNav: NavItem[] = [
    ...options.contributions.flatMap((c) => c.nav ?? []),
    { href: '/admin/users', label: 'Staff', role: 'admin', order: 900 },
    { href: '/admin/tokens', label: 'API tokens', role: 'admin', order: 910 },
  ];
  app.use(async (req, res, next) => {
    res.locals.user = null;
    res.locals.nav = [];
    res.locals.path = req.path;
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

  authRoutes(app, ctx);
  const pages = express.Router();
  pages.use(requireLogin);
  for (const u of uploads) {
    pages.post(u.path, (req, res, next) => {
      if (!isUpload(req)) return next();
      u.parse(req, res, (err?: unknown) => {
        if (err) return next(err);
        next(csrf.isRequestValid(req) ? undefined : csrf.invalidCsrfTokenError);
      });
    });
  }
  dashboardRoutes(pages, ctx);
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
    if (status >= 500) logger.error('request failed', { err, method: req.method, path: req.path });
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

export function currentUser(res: Response): StaffUser {
  const user = res.locals.user as StaffUser | null;
  if (!user) throw new ForbiddenError('not logged in');
  return user;
}

function requireLogin(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.user) return next();
  const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
  res.redirect(303, `/login${back}`);
}

/** Route guard: the logged-in user's role must be at least `role`. */
export function requireRole(role: Role) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const user = res.locals.user as StaffUser | null;
    if (user && hasRole(user.role, role)) return next();
    next(new ForbiddenError(`this needs the ${role} role; you are ${user?.role ?? 'not logged in'}`));
  };
}

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}
