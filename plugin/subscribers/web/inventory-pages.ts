import type { Router } from 'express';
import { formatBytes } from '../../common/bytes.js';
import { UserError } from '../../common/errors.js';
import { requireRole } from '../../web/guards.js';
import type { UnclaimedLoginsService } from '../unclaimed.service.js';
import { actorOf, canWrite } from './forms.js';

export const UNCLAIMED_PATH = '/inventory/unclaimed';
/** Logins the page lists at once; claiming some brings the next ones up. */
export const UNCLAIMED_PAGE_ROWS = 1000;

export function inventoryPages(router: Router, deps: { unclaimed: UnclaimedLoginsService }): void {
  const render = async (res: import('express').Response, extra: { error?: string; created?: Array<{ login: string; accountId: number; accountName: string }> }, status = 200) => {
    const fetched = await deps.unclaimed.list(UNCLAIMED_PAGE_ROWS + 1);
    const list = fetched.slice(0, UNCLAIMED_PAGE_ROWS);
    res.status(status).render('inventory/unclaimed', {
      title: 'Unclaimed logins',
      canWrite: canWrite(res),
      truncatedAt: fetched.length > UNCLAIMED_PAGE_ROWS ? UNCLAIMED_PAGE_ROWS : null,
      error: extra.error ?? null,
      created: extra.created ?? [],
      rows: list.map((u) => ({
        login: u.login,
        routers: u.sightings.map((s) => `${s.routerName} (${s.kind}${s.profile ? `, ${s.profile}` : ''}${s.disabled ? ', disabled' : ''})`).join('; '),
        comment: u.sightings.find((s) => s.comment)?.comment ?? '',
        usage: u.usage ? `${formatBytes(u.usage.download)} down, ${formatBytes(u.usage.upload)} up` : '',
        lastSeen: u.usage ? u.usage.lastHour.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '',
      })),
    });
  };

  router.get(UNCLAIMED_PATH, async (_req, res) => render(res, {}));

  router.post(`${UNCLAIMED_PATH}/claim`, requireRole('billing'), async (req, res) => {
    const raw = (req.body as Record<string, unknown> | undefined)?.logins;
    const logins = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((x): x is string => typeof x === 'string');
    try {
      const results = await deps.unclaimed.claim(logins, actorOf(res));
      await render(res, { created: results.map((r) => ({ login: r.login, accountId: r.account.id, accountName: r.account.name })) });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      await render(res, { error: err.message }, 422);
    }
  });
}
