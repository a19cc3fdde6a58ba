import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { PluginContext } from '../context.js';
import { panelStaff, type PanelAuth, type PanelUser } from '../web/mount.js';
import type { HostConfig } from './config.js';
import type { HostPlatform, StaffRequestFacts } from './platform.js';

declare module 'express-session' {
  interface SessionData {
    /** The host staff member this browser session was opened for, and when the host last vouched. */
    hostStaff?: PanelUser & { sash: string; checkedAtMs: number };
  }
}

/** How long a host's word on a session hash is taken before asking the host again. */
export const RECHECK_MS = 5 * 60_000;

function facts(req: Request): StaffRequestFacts {
  const q: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') q[k] = v;
  const h: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') h[k] = v;
  return { query: q, headers: h, ip: req.ip };
}

/**
 * Who an add-on page request is from, as the host says: Splynx opens an add-on page with
 * `?sash=<hash of the admin's session>`, which the adapter resolves to the administrator and
 * role through the API (never a shared password). Later pages of the same browser session carry
 * no sash: the session remembers it and asks the host again every RECHECK_MS, so a Splynx
 * logout ends Octet's access within minutes. Null: nobody the host vouches for.
 */
export async function resolveHostStaff(host: HostPlatform, req: Request, now: () => number = Date.now): Promise<PanelUser | null> {
  const given = typeof req.query.sash === 'string' ? req.query.sash : null;
  const kept = req.session?.hostStaff;
  // A host whose word is a single-use assertion (UISP's plugin page) cannot be asked again: its
  // session holds for the session's lifetime, ended by Octet's own logout or expiry.
  const recheck = (host as { staffRecheck?: boolean }).staffRecheck !== false;
  if (!given && kept && (!recheck || now() - kept.checkedAtMs < RECHECK_MS)) return { externalId: kept.externalId, name: kept.name, email: kept.email, role: kept.role };
  const sash = given ?? kept?.sash;
  if (!sash) return null;
  const who = await host.identifyStaff({ ...facts(req), query: { ...facts(req).query, sash } });
  if (!who) {
    if (req.session) delete req.session.hostStaff;
    return null;
  }
  const user: PanelUser = { externalId: `${host.kind}:${who.externalId}`, name: who.name, email: who.email ?? undefined, role: who.octetRole };
  if (req.session) req.session.hostStaff = { ...user, sash, checkedAtMs: now() };
  return user;
}

/** The app's panel authentication (createWebApp `auth`, createOctetPlugin `auth`) for a host. */
export function hostPanelAuth(host: HostPlatform): PanelAuth {
  return { resolveUser: (req) => resolveHostStaff(host, req) };
}

/**
 * The same as a plain express middleware, for an app that mounts it itself: resolves the host
 * staff member, makes or refreshes their local staff row (marked external: `panel-…@panel.invalid`,
 * a random password nobody knows, through the auth service), puts it in `res.locals.user`; a
 * request the host does not vouch for, or a row staff switched off, gets 403.
 */
export function hostIdentity(ctx: PluginContext, host: HostPlatform): RequestHandler {
  const staffOf = panelStaff(ctx);
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const who = await resolveHostStaff(host, req);
      const user = who ? await staffOf(who) : null;
      if (!user) return void res.status(403).type('text/plain').send(who ? 'Your account is switched off in Octet.' : `Open this page from ${host.kind}: the request carries no session ${host.kind} vouches for.`);
      if (req.session) req.session.userId = user.id;
      res.locals.user = user;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** CSP frame-ancestors origins for the configured host: only those may frame Octet's pages. */
export function frameAncestorsFor(config: HostConfig): string[] {
  if (config.kind === 'splynx') return config.splynx.frameAncestors.length ? config.splynx.frameAncestors : [new URL(config.splynx.url).origin];
  if (config.kind === 'uisp') return [new URL(config.url).origin];
  return [];
}

/**
 * What the web app needs from the host, for the composition root or createOctetPlugin:
 * `auth` ('standalone', or the host's panel authentication) and `frameAncestors`. There is
 * nothing to run before the session: the sash is read after it, so that the session keeps it.
 */
export function hostWebHooks(ctx: PluginContext, host: HostPlatform): { beforeSession?: RequestHandler; auth: 'standalone' | PanelAuth; identity: RequestHandler | null; frameAncestors: string[] } {
  if (host.kind === 'standalone') return { auth: 'standalone', identity: null, frameAncestors: [] };
  return { auth: hostPanelAuth(host), identity: hostIdentity(ctx, host), frameAncestors: frameAncestorsFor(ctx.config.host) };
}
