import type { Router } from 'express';
import { DateTime } from 'luxon';
import { requireApiRole } from '../api/router.js';
import { ValidationError } from '../common/errors.js';
import { requireRole } from '../web/guards.js';
import { parsePeriod } from './local-time.js';
import type { UsageQueries } from './queries.js';
import { dayJson, hourJson, liveByRouterView, localTime, topUsersView, truncationNote, unassignedView } from './view-models.js';

/** The most rows the list pages show; past these they say how many there are in all. */
export const LIST_LIMITS = { live: 10_000, unassigned: 500 } as const;

export interface UsageRouteDeps {
  queries: UsageQueries;
  timezone: string;
  now: () => Date;
  listLimits?: { live: number; unassigned: number };
}

/** This month so far, in the ISP's time zone: the default period of the pages. */
function defaultPeriod(timezone: string, now: Date): { from: string; to: string } {
  const today = DateTime.fromJSDate(now, { zone: timezone });
  return { from: today.startOf('month').toISODate()!, to: today.plus({ days: 1 }).toISODate()! };
}

export function usagePages(router: Router, deps: UsageRouteDeps): void {
  router.get('/usage', requireRole('readonly'), async (req, res) => {
    const def = defaultPeriod(deps.timezone, deps.now());
    const from = typeof req.query.from === 'string' && req.query.from ? req.query.from : def.from;
    const to = typeof req.query.to === 'string' && req.query.to ? req.query.to : def.to;
    let error: string | null = null;
    let rows: ReturnType<typeof topUsersView> = [];
    try {
      const p = parsePeriod(from, to, deps.timezone);
      rows = topUsersView(await deps.queries.topUsers(p.fromMs, p.toMs, 50));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      error = err.message;
    }
    res.render('usage/overview', { title: 'Usage', from, to, timezone: deps.timezone, rows, error });
  });

  const limits = deps.listLimits ?? LIST_LIMITS;

  // Each list asks for one row more than it shows, so it knows when it stopped short; only then is it counted.
  router.get('/usage/live', requireRole('readonly'), async (_req, res) => {
    const now = deps.now();
    const sessions = await deps.queries.liveSessions({}, limits.live + 1);
    const total = sessions.length > limits.live ? await deps.queries.countLiveSessions() : null;
    const routers = liveByRouterView(sessions.slice(0, limits.live), deps.timezone, now.getTime());
    const truncated = truncationNote(limits.live, sessions.length, total);
    res.render('usage/live', { title: 'Live sessions', routers, truncated, asOf: localTime(now, deps.timezone), timezone: deps.timezone });
  });

  router.get('/usage/unassigned', requireRole('readonly'), async (_req, res) => {
    const logins = await deps.queries.unassigned(limits.unassigned + 1);
    const total = logins.length > limits.unassigned ? await deps.queries.countUnassigned() : null;
    const rows = unassignedView(logins.slice(0, limits.unassigned), deps.timezone);
    const truncated = truncationNote(limits.unassigned, logins.length, total);
    res.render('usage/unassigned', { title: 'Unassigned usage', rows, truncated, timezone: deps.timezone });
  });
}

function accountId(raw: string | undefined): number {
  if (!raw || !/^[1-9]\d{0,9}$/.test(raw)) throw new ValidationError('account id must be a positive integer', [{ field: 'id', message: 'must be a positive integer' }]);
  return Number(raw);
}

/** The response lists every local day of the period: a year (leap or not) is the most one answer holds. */
export const MAX_API_PERIOD_DAYS = 366;

export function usageApi(router: Router, deps: UsageRouteDeps): void {
  /** GET /api/v1/accounts/{id}/usage?from=&to=[&granularity=day|hour] */
  router.get('/accounts/:id/usage', requireApiRole('readonly'), async (req, res) => {
    const id = accountId(String(req.params.id));
    const { fromMs, toMs } = parsePeriod(req.query.from, req.query.to, deps.timezone, { maxDays: MAX_API_PERIOD_DAYS });
    const granularity = req.query.granularity ?? 'day';
    if (granularity !== 'day' && granularity !== 'hour') {
      throw new ValidationError('granularity must be day or hour', [{ field: 'granularity', message: 'must be day or hour' }]);
    }
    const u = await deps.queries.accountUsage(id, fromMs, toMs);
    res.json({
      accountId: u.accountId,
      from: new Date(u.fromMs).toISOString(),
      to: new Date(u.toMs).toISOString(),
      timezone: u.timezone,
      download: u.download.toString(),
      upload: u.upload.toString(),
      services: u.services.map((s) => ({ serviceId: s.serviceId, login: s.login, download: s.download.toString(), upload: s.upload.toString() })),
      ...(granularity === 'day' ? { days: u.days.map(dayJson) } : { hours: u.hours.map(hourJson) }),
    });
  });
}
