import type { Router } from 'express';
import { DateTime } from 'luxon';
import { UserError } from '../common/errors.js';
import { currentUser, requireRole } from '../web/guards.js';
import { httpStatusOf } from '../web/http-errors.js';
import type { AgentInfo } from './agents.repository.js';
import type { AgentsService } from './agents.service.js';

function when(d: Date | null, timezone: string): string {
  return d ? DateTime.fromJSDate(d, { zone: timezone }).toFormat('yyyy-MM-dd HH:mm') : '';
}

function agentRows(agents: readonly AgentInfo[], timezone: string) {
  return agents.map((a) => ({
    name: a.name,
    prefix: a.prefix,
    createdBy: a.createdBy,
    createdAt: when(a.createdAt, timezone),
    lastSeen: when(a.lastSeenAt, timezone) || 'never',
    revoked: a.revokedAt !== null,
    revokedAt: when(a.revokedAt, timezone),
  }));
}

/** Admin page: agents, creating one or rotating its token (the token shown once), revoking one. */
export function agentPages(router: Router, deps: { agents: AgentsService; timezone: string }): void {
  const render = async (res: Parameters<Parameters<Router['get']>[1]>[1], extra: { created?: { name: string; token: string }; rotated?: { name: string; token: string }; error?: string; name?: string }, status = 200) => {
    const agents = agentRows(await deps.agents.list(), deps.timezone);
    const quarantined = (await deps.agents.latestQuarantined(50)).map((q) => ({ ...q, receivedAt: when(q.receivedAt, deps.timezone), recordId: q.recordId ?? '' }));
    res.status(status).render('agents/index', { title: 'Agents', agents, quarantined, created: extra.created ?? null, rotated: extra.rotated ?? null, error: extra.error ?? null, name: extra.name ?? '' });
  };

  router.get('/agents', requireRole('admin'), async (_req, res) => {
    await render(res, {});
  });

  router.post('/agents', requireRole('admin'), async (req, res) => {
    const name = String((req.body as Record<string, unknown>).name ?? '').trim();
    try {
      const { token, info } = await deps.agents.create(name, `user:${currentUser(res).id}`);
      await render(res, { created: { name: info.name, token } });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await render(res, { error: err.message, name }, httpStatusOf(err));
    }
  });

  // The new token is rendered in this response only (like a created agent's), never redirected to.
  router.post('/agents/:name/rotate', requireRole('admin'), async (req, res) => {
    const { token, info } = await deps.agents.rotate(String(req.params.name), `user:${currentUser(res).id}`);
    await render(res, { rotated: { name: info.name, token } });
  });

  router.post('/agents/:name/revoke', requireRole('admin'), async (req, res) => {
    await deps.agents.revoke(String(req.params.name), `user:${currentUser(res).id}`);
    res.redirect(303, '/agents');
  });
}
