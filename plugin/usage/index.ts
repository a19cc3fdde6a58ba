/**
 * Usage: sessions, hourly usage, queries, retention (the agents and their API are ingest's).
 *
 * For other modules (stable names):
 * - `createUsageQueries(ctx): UsageQueries` — usage per service/account for a period
 *   (`serviceUsage(serviceId, fromMs, toMs)`, `accountUsage(accountId, fromMs, toMs)`,
 *   `serviceHours(serviceIds, fromMs, toMs)`: per 15-minute bucket), `topUsers(fromMs, toMs, limit)`,
 *   `liveSessions({ sourceName?, logins? }, limit?)`, `countLiveSessions(filter)`, `unassigned(limit)`,
 *   `countUnassigned()`. Bytes are bigint.
 * - `assignUnassignedUsage(ctx, { login, serviceId }, transaction?): Promise<{ hours }>` — call it
 *   in the transaction that creates a service (or changes its login, dates or end): the login's
 *   rows are re-decided by the one assignment rule (service-match.ts: by instant, a service never
 *   takes usage from another for a time before it was created), so its unassigned usage within
 *   the service's dates becomes the service's. (The rollup's catch-up does this by itself too.)
 * - The billing read port, `createBillingUsage(ctx, completeness): BillingUsagePort`
 *   (billing-port.ts), with a CompletenessProvider (completeness.ts) passed in:
 *   `billableUsage(serviceId, fromMs, toMs, { bands })` -> download/upload in total and per time
 *   band (local HH:MM windows in the ISP's zone, on quarter hours; `band: null` is outside every
 *   band) plus `completeness` (each source's `completeThrough`, the overall `completeThrough`,
 *   `final` once it reaches `to`); `closePeriod(serviceId, fromMs, toMs, { bands, closedBy }, t?)`
 *   records what billing billed for a window; `lateAdjustments(serviceId, sinceMs)` returns the
 *   dated, signed corrections per band found in closed windows since (each reported once).
 *   Windows are instants on 15-minute boundaries (every local midnight is one).
 * - `usageConfigSchema` — the `usage:` section of the plugin config (see config.ts).
 * - Tables other modules may read: `usage_hourly` (login, hour_start UTC, service_id, download,
 *   upload: what invoices are built from; service_id NULL = unassigned), `usage_daily` (its
 *   sums per service and UTC day, kept by triggers on usage_hourly), `router_inventory`
 *   (latest snapshot per agent and router, one row per PPP secret/hotspot user).
 */
import type { PluginContext } from '../context.js';
import { onObservationsAccepted } from '../ingest/index.js';
import type { PluginModule } from '../modules.js';
import { UsageJobs } from './jobs.js';
import { LeaseRepository } from '../jobs/index.js';
import { UsageAssignment } from './assignment.js';
import { BillingUsagePort } from './billing-port.js';
import type { CompletenessProvider } from './completeness.js';
import { PruneService } from './prune.service.js';
import { UsageQueries } from './queries.js';
import { RollupService } from './rollup.service.js';
import { usageApi, usagePages } from './routes.js';
import { UsageRepository } from './usage.repository.js';

export { assignUnassignedUsage } from './assign.js';
export { loginsWithUnassignedUsage, unassignedUsageByLogin, type UnassignedLoginUsage } from './unassigned-logins.js';
export { usageConfigSchema, type UsageConfig } from './config.js';
export { BillingUsagePort, type BillableUsage, type BilledPeriod, type Completeness, type LateAdjustment } from './billing-port.js';
export type { BandUsage, TimeBand } from './bands.js';
export type { CompletenessProvider, SourceCompleteness } from './completeness.js';
export type { AccountUsage, LiveFilter, LiveSession, ServiceUsage, TopUser, UnassignedLogin, UsageQueries } from './queries.js';

export function createUsageQueries(ctx: Pick<PluginContext, 'db' | 'clock' | 'config'>): UsageQueries {
  return new UsageQueries({
    db: ctx.db,
    clock: ctx.clock,
    timezone: ctx.config.billing.timezone,
    liveWindowMinutes: ctx.config.usage.liveWindowMinutes,
  });
}

/** The billing read port (see above); `completeness` says how far each agent source is complete. */
export function createBillingUsage(ctx: Pick<PluginContext, 'db' | 'clock' | 'config'>, completeness: CompletenessProvider): BillingUsagePort {
  return new BillingUsagePort({ db: ctx.db, clock: ctx.clock, timezone: ctx.config.billing.timezone, completeness });
}

/** Everything the usage module builds from the context (tests and benches use it too). */
export function buildUsage(ctx: PluginContext) {
  const config = ctx.config.usage;
  const timezone = ctx.config.billing.timezone;
  const usage = new UsageRepository(ctx.db);
  const assignment = new UsageAssignment({ db: ctx.db, timezone });
  const rollup = new RollupService({ db: ctx.db, usage, assignment, clock: ctx.clock, logger: ctx.logger });
  const prune = new PruneService({ db: ctx.db, usage, clock: ctx.clock, logger: ctx.logger });
  const jobs = new UsageJobs({ rollup, prune, leases: new LeaseRepository(ctx.db), logger: ctx.logger, config });
  const queries = createUsageQueries(ctx);
  return { config, timezone, usage, assignment, rollup, prune, jobs, queries };
}

export type UsageServices = ReturnType<typeof buildUsage>;

export const usageModule: PluginModule = {
  name: 'usage',
  install(ctx, services) {
    const u = services.usage;
    onObservationsAccepted(ctx, () => u.jobs.nudge());
    const routeDeps = { queries: u.queries, timezone: u.timezone, now: () => ctx.clock.now() };
    return {
      nav: [{ href: '/usage', label: 'Usage', role: 'readonly', order: 30 }],
      pages: (router) => usagePages(router, routeDeps),
      api: (router) => usageApi(router, routeDeps),
      start: () => u.jobs.start(),
      stop: () => u.jobs.stop(),
    };
  },
};
