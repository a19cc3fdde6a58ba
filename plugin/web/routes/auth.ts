import type express from 'express';
import type { Request } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AuthenticationError } from '../../common/errors.js';
import type { PluginContext } from '../../context.js';

/** Only same-site relative paths are followed after login (no open redirect). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : '/';
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function authRoutes(app: express.Express, ctx: PluginContext): void {
  // Per-instance limit on failed login attempts by client address: 10 per 15 minutes.
  const loginLimit = rateLimit({
    windowMs: 15 * 60_000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).render('login', { title: 'Log in', error: 'Too many login attempts. Wait 15 minutes and try again.', email: '', next: '/' });
    },
  });

  app.get('/login', (req, res) => {
    if (res.locals.user) return res.redirect(303, safeNext(req.query.next));
    res.render('login', { title: 'Log in', error: null, email: '', next: safeNext(req.query.next) });
  });

  app.post('/login', loginLimit, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    try {
      const user = await ctx.services.auth.login(email, password);
      // A fresh session id at login defeats session fixation.
      await regenerate(req);
      req.session.userId = user.id;
      res.redirect(303, next);
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      res.status(401).render('login', { title: 'Log in', error: 'Wrong e-mail or password.', email, next });
    }
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('octet.sid');
      res.redirect(303, '/login');
    });
  });
}
