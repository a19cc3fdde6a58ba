import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
  }
}

/** The cookie that carries an anonymous visitor's CSRF nonce (the login form). */
export const ANONYMOUS_CSRF_COOKIE = 'octet.csrf';
const ANONYMOUS_CSRF_HOURS = 2;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Csrf {
  /** The token to put in a form of this page (`res.locals.csrfToken()` in templates). */
  token(req: Request, res: Response): string;
  /** Checks the token of every unsafe request (403 EBADCSRFTOKEN when it is missing or wrong). */
  protect: RequestHandler;
  /** For a multipart upload, whose fields only its own parser reads: is the token right? */
  isRequestValid(req: Request): boolean;
  invalidError: Error;
}

function tokenFromRequest(req: Request): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const header = req.headers['x-csrf-token'];
  return typeof header === 'string' ? header : undefined;
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * CSRF protection in two modes. A logged-in session keeps a synchroniser token in its stored
 * session (csrf-sync). An anonymous visitor has no stored session at all, so that opening the
 * login page writes nothing (a script fetching /login must not be able to fill the sessions
 * table): its token is an HMAC, under the server's secret, of a random nonce kept in a cookie
 * (the signed double-submit cookie pattern). A forged form cannot know the HMAC of the victim's
 * nonce, and every plugin instance sharing the secret checks it without a lookup.
 */
export function createCsrf(options: { secret: string; secureCookies: boolean | 'auto' }): Csrf {
  const sync = csrfSync({ size: 32, getTokenFromRequest: tokenFromRequest });
  const sign = (nonce: string) => createHmac('sha256', options.secret).update(`octet-anonymous-csrf\0${nonce}`).digest('base64url');
  const hasSession = (req: Request) => req.session?.userId !== undefined;
  const nonceOf = (req: Request) => {
    const v = cookieValue(req, ANONYMOUS_CSRF_COOKIE);
    return v && /^[A-Za-z0-9_-]{32}$/.test(v) ? v : undefined;
  };

  function anonymousToken(req: Request, res: Response): string {
    let nonce = (res.locals.anonymousCsrfNonce as string | undefined) ?? nonceOf(req);
    if (!nonce) {
      nonce = randomBytes(24).toString('base64url');
      res.cookie(ANONYMOUS_CSRF_COOKIE, nonce, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: options.secureCookies === 'auto' ? req.secure : options.secureCookies,
        maxAge: ANONYMOUS_CSRF_HOURS * 3600_000,
      });
      // A second form on the same page must use the same nonce, not set another cookie.
      res.locals.anonymousCsrfNonce = nonce;
    }
    return sign(nonce);
  }

  function anonymousValid(req: Request): boolean {
    const nonce = nonceOf(req);
    const token = tokenFromRequest(req);
    return !!nonce && !!token && equal(token, sign(nonce));
  }

  const isRequestValid = (req: Request) => (hasSession(req) ? sync.isRequestValid(req) : anonymousValid(req));

  return {
    token: (req, res) => (hasSession(req) ? sync.generateToken(req) : anonymousToken(req, res)),
    protect: (req: Request, _res: Response, next: NextFunction) => {
      if (SAFE_METHODS.has(req.method)) return next();
      next(isRequestValid(req) ? undefined : sync.invalidCsrfTokenError);
    },
    isRequestValid,
    invalidError: sync.invalidCsrfTokenError,
  };
}
