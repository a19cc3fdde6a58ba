import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { isRole, type Role, type StaffUser } from '../auth/index.js';
import { ConflictError } from '../common/errors.js';
import type { PluginContext } from '../context.js';

/**
 * Octet's pages under a mount path (a Node admin panel mounts Octet at /billing): every page,
 * partial and redirect of the modules is written with absolute paths ("/invoices"), so rather
 * than each template and handler knowing its prefix, the app rewrites them in one place on the
 * way out. Standalone at "/" the base is empty and nothing changes.
 */

/** `href="/x"`, `action="/x"`, `src="/x"`, `formaction="/x"` (not `//host`): the attributes that name a page of the app. */
const APP_PATH_ATTRIBUTE = /\b(href|action|src|formaction)="\/(?!\/)/g;

export function withBase(html: string, base: string): string {
  return base === '' ? html : html.replace(APP_PATH_ATTRIBUTE, `$1="${base}/`);
}

/** A redirect to an app path ("/login", "/invoices/7") under the base; anything else as it is. */
export function locationWithBase(url: string, base: string): string {
  return base !== '' && url.startsWith('/') && !url.startsWith('//') ? `${base}${url}` : url;
}

/**
 * The first middleware of the app: takes the mount path (req.baseUrl where the app is entered;
 * nested routers see longer ones) into `res.locals.base`, and prefixes it to the app paths of
 * rendered pages and of redirects.
 */
export function mountPaths() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const base = req.baseUrl.replace(/\/$/, '');
    res.locals.base = base;
    if (base === '') return next();
    const redirect = res.redirect.bind(res) as (a: number | string, b?: string | number) => void;
    res.redirect = ((a: number | string, b?: string | number) => {
      if (typeof a === 'number') return redirect(a, locationWithBase(String(b), base));
      if (typeof b === 'number') return redirect(locationWithBase(a, base), b);
      return redirect(locationWithBase(a, base));
    }) as Response['redirect'];
    const render = res.render.bind(res) as (view: string, options?: object, cb?: (err: Error | null, html: string) => void) => void;
    res.render = ((view: string, options?: object | ((err: Error | null, html: string) => void), cb?: (err: Error | null, html: string) => void) => {
      const opts = typeof options === 'function' ? undefined : options;
      const done = typeof options === 'function' ? options : cb;
      render(view, opts, (err, html) => {
        if (done) return done(err, err ? html : withBase(html, base));
        if (err) return req.next!(err);
        res.send(withBase(html, base));
      });
    }) as Response['render'];
    next();
  };
}

/** Who the host panel says is signed in: its own id for them, their name, and an Octet role. */
export interface PanelUser {
  externalId: string;
  name: string;
  email?: string;
  role: Role;
}

/** The host panel's authentication: the panel has already decided who the request is from. */
export interface PanelAuth {
  resolveUser(req: Request): PanelUser | null | Promise<PanelUser | null>;
}

/** The address a panel user's Octet staff row is kept under: never a real mailbox, never a password login. */
export function panelEmail(externalId: string): string {
  const plain = /^[A-Za-z0-9._-]{1,40}$/.test(externalId) ? externalId.toLowerCase() : createHash('sha256').update(externalId).digest('hex').slice(0, 24);
  return `panel-${plain}@panel.invalid`;
}

/**
 * Maps the panel's user to a staff row of Octet's own (made on first sight, with a random
 * password nobody knows), so that audit entries, API tokens and sessions name a staff id like
 * any other. The role and name are the panel's, on every request: the panel decides. Null for
 * a row staff disabled.
 */
export function panelStaff(ctx: PluginContext) {
  return async (p: PanelUser): Promise<StaffUser | null> => {
    if (!isRole(p.role)) throw new Error(`the panel gave user ${p.externalId} the unknown role ${String(p.role)}`);
    const email = panelEmail(p.externalId);
    let row = await ctx.repos.users.findByEmailWithHash(email);
    if (!row) {
      try {
        await ctx.services.auth.createUser({ email, name: p.name.trim() || p.externalId, role: p.role, password: randomBytes(24).toString('base64url') }, `panel:${p.externalId}`);
      } catch (err) {
        // Two first requests of one panel user at once: the other made the row.
        if (!(err instanceof ConflictError)) throw err;
      }
      row = await ctx.repos.users.findByEmailWithHash(email);
      if (!row) throw new Error(`the staff row of panel user ${p.externalId} could not be made`);
    }
    // Staff can still switch a panel user off in Octet (Staff page): the panel then gets 403.
    if (row.disabled) return null;
    const { passwordHash: _h, ...user } = row;
    return { ...user, name: p.name, role: p.role, email: p.email ?? user.email };
  };
}
