import type express from 'express';
import type { Request } from 'express';
import { AuthenticationError, TooManyAttemptsError } from '../../common/errors.js';
import type { PluginContext } from '../../context.js';

/** Only same-site relative paths are followed after login (no open redirect). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : '/';
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function authRoutes(app: express.Express, ctx: PluginContext): void {
  let warnedUntrustedProxy = false;
  /**
   * The address failed logins are counted against. With `http.trustProxy` set, express takes it
   * from X-Forwarded-For as far as the trusted hops go; without, it is the peer, which behind a
   * reverse proxy is the proxy for everyone: say so once, as that makes the address limit one
   * limit for all staff (the per-account limit still holds).
   */
  const clientAddress = (req: Request): string => {
    if (ctx.config.http.trustProxy === false && req.headers['x-forwarded-for'] !== undefined && !warnedUntrustedProxy) {
      warnedUntrustedProxy = true;
      ctx.logger.warn('login from behind a proxy that is not trusted: every client counts as the proxy\'s address; set http.trustProxy', { peer: req.ip });
    }
    return req.ip ?? req.socket.remoteAddress ?? 'unknown';
  };

  app.get('/login', (req, res) => {
    if (res.locals.user) return res.redirect(303, safeNext(req.query.next));
    res.render('login', { title: 'Log in', error: null, email: '', next: safeNext(req.query.next) });
  });

  app.post('/login', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    try {
      const user = await ctx.services.auth.login(email, password, { address: clientAddress(req) });
      // A fresh session id at login defeats session fixation.
      await regenerate(req);
      req.session.userId = user.id;
      res.redirect(303, next);
    } catch (err) {
      if (err instanceof TooManyAttemptsError) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        return res.status(429).render('login', { title: 'Log in', error: err.message, email, next });
      }
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
