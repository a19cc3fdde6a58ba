import type { Response, Router } from 'express';
import { DateTime } from 'luxon';
import { hasRole, type StaffUser } from '../../auth/index.js';
import { requireRole } from '../../web/guards.js';
import type { HostSyncJob } from '../sync.job.js';
import type { HostSyncService, StreamResult } from '../sync.service.js';

export const HOST_NAV = [{ href: '/host', label: 'Host sync', role: 'readonly' as const, order: 85 }];

type Status = Awaited<ReturnType<HostSyncService['status']>>;

function statusJson(s: Status) {
  return {
    kind: s.kind,
    owns: s.owns,
    postedCharges: s.postedCharges,
    streams: s.streams.map((x) => ({
      stream: x.stream,
      active: x.active,
      lastRunAt: x.lastRunAt?.toISOString() ?? null,
      lastOkAt: x.lastOkAt?.toISOString() ?? null,
      counts: x.counts,
      lastError: x.lastError,
      failures: x.failures,
      nextAttemptAt: x.nextAttemptAt?.toISOString() ?? null,
    })),
    errors: s.errors.map((e) => ({ stream: e.stream, externalId: e.externalId, message: e.message, at: e.at.toISOString() })),
  };
}

/** GET /api/v1/host/sync: the sync's state per stream and its latest errors (any token). */
export function hostApi(router: Router, deps: { sync: HostSyncService | null; kind: string; owns: Status['owns'] }): void {
  router.get('/host/sync', async (_req, res) => {
    if (!deps.sync) return void res.json({ kind: deps.kind, owns: deps.owns, postedCharges: 0, streams: [], errors: [] });
    res.json(statusJson(await deps.sync.status()));
  });
}

/** The /host page: sync status for everyone signed in; "sync now" for admins (CSRF-checked form). */
export function hostPages(router: Router, deps: { sync: HostSyncService | null; job: HostSyncJob | null; kind: string; owns: Status['owns']; timezone: string; requestStats?: (() => { requests: number; retries: number; lastRetryReason: string | null }) | null }): void {
  const at = (d: Date | null) => (d ? DateTime.fromJSDate(d, { zone: deps.timezone }).toFormat('yyyy-MM-dd HH:mm:ss') : '—');
  async function render(res: Response, ran: StreamResult[] | null | 'busy' = null, status = 200) {
    const user = res.locals.user as StaffUser;
    const s = deps.sync ? await deps.sync.status() : null;
    res.status(status).render('host/index', {
      title: 'Host sync',
      kind: deps.kind,
      owns: deps.owns,
      canSync: !!deps.sync && hasRole(user.role, 'admin'),
      busy: ran === 'busy',
      ran: Array.isArray(ran) ? ran.map((r) => ({ stream: r.stream, ran: r.ran, counts: r.counts, error: r.error })) : null,
      postedCharges: s?.postedCharges ?? 0,
      requests: deps.requestStats?.() ?? null,
      streams: (s?.streams ?? []).filter((x) => x.active).map((x) => ({ ...x, lastRunAt: at(x.lastRunAt), lastOkAt: at(x.lastOkAt), nextAttemptAt: at(x.nextAttemptAt) })),
      errors: (s?.errors ?? []).map((e) => ({ ...e, at: at(e.at) })),
    });
  }
  router.get('/host', async (_req, res) => render(res));
  router.post('/host/sync', requireRole('admin'), async (_req, res) => {
    if (!deps.job) return render(res, null, 404);
    const ran = await deps.job.tick({ force: true });
    await render(res, ran ?? 'busy', ran ? 200 : 409);
  });
}
