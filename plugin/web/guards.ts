import type { NextFunction, Request, Response } from 'express';
import { hasRole, type Role, type StaffUser } from '../auth/index.js';
import { ForbiddenError } from '../common/errors.js';

/**
 * Route guards for the admin pages. Feature modules import these, never the app file, so that
 * building the app (which mounts those modules) and guarding their routes form no import cycle.
 * The app's user-loading middleware puts the logged-in staff user in `res.locals.user`.
 */

export function currentUser(res: Response): StaffUser {
  const user = res.locals.user as StaffUser | null;
  if (!user) throw new ForbiddenError('not logged in');
  return user;
}

/** Anonymous visitors go to the login page, and come back to where they were going after it. */
export function requireLogin(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.user) return next();
  // The path inside the app (the redirect after login adds the mount path again).
  const here = req.originalUrl.slice(String(res.locals.base ?? '').length) || '/';
  const back = req.method === 'GET' ? `?next=${encodeURIComponent(here)}` : '';
  res.redirect(303, `/login${back}`);
}

/** The logged-in user's role must be at least `role`. */
export function requireRole(role: Role) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const user = res.locals.user as StaffUser | null;
    if (user && hasRole(user.role, role)) return next();
    next(new ForbiddenError(`this needs the ${role} role; you are ${user?.role ?? 'not logged in'}`));
  };
}
