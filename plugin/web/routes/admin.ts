import type { Router } from 'express';
import { isRole, ROLES } from '../../auth/index.js';
import { NotFoundError, UserError } from '../../common/errors.js';
import type { PluginContext } from '../../context.js';
import { currentUser, requireRole } from '../guards.js';
import { httpStatusOf } from '../http-errors.js';

function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** Staff users and API tokens: admin only. */
export function adminRoutes(router: Router, ctx: PluginContext): void {
  const admin = requireRole('admin');

  const renderUsers = async (res: import('express').Response, form: Record<string, string>, errors: Record<string, string>, status = 200) => {
    res.status(status).render('admin/users', { title: 'Staff users', users: await ctx.repos.users.list(), roles: ROLES, form, errors });
  };

  router.get('/admin/users', admin, async (_req, res) => {
    await renderUsers(res, { role: 'billing' }, {});
  });

  router.post('/admin/users', admin, async (req, res) => {
    const form = { email: field(req.body, 'email'), name: field(req.body, 'name'), role: field(req.body, 'role') };
    const role = isRole(form.role) ? form.role : null;
    if (!role) return renderUsers(res, form, { role: 'choose a role' }, 422);
    try {
      await ctx.services.auth.createUser({ ...form, role, password: field(req.body, 'password') }, `user:${currentUser(res).id}`);
      res.redirect(303, '/admin/users');
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      const errors = Object.fromEntries(err.issues.map((i) => [i.field, i.message]));
      await renderUsers(res, form, errors, httpStatusOf(err));
    }
  });

  router.get('/admin/tokens', admin, async (_req, res) => {
    res.render('admin/tokens', { title: 'API tokens', tokens: await ctx.repos.tokens.list(), roles: ROLES, created: null, errors: {} });
  });

  router.post('/admin/tokens', admin, async (req, res) => {
    const name = field(req.body, 'name');
    const role = field(req.body, 'role');
    const errors: Record<string, string> = {};
    if (!name.trim()) errors.name = 'is required';
    if (!isRole(role)) errors.role = 'choose a role';
    if (Object.keys(errors).length || !isRole(role)) {
      return res.status(422).render('admin/tokens', { title: 'API tokens', tokens: await ctx.repos.tokens.list(), roles: ROLES, created: null, errors });
    }
    const created = await ctx.services.auth.createApiToken({ name, role }, `user:${currentUser(res).id}`);
    // The token is shown in this response only; it is stored hashed.
    res.status(201).render('admin/tokens', { title: 'API tokens', tokens: await ctx.repos.tokens.list(), roles: ROLES, created, errors: {} });
  });

  router.post('/admin/tokens/:id/revoke', admin, async (req, res) => {
    const raw = String(req.params.id);
    if (!/^[1-9]\d{0,9}$/.test(raw)) throw new NotFoundError('There is no such API token.');
    await ctx.services.auth.revokeApiToken(Number(raw), `user:${currentUser(res).id}`);
    res.redirect(303, '/admin/tokens');
  });
}
