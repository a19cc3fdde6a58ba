/**
 * The host module's port. Shared by two authors: add exports, keep others'.
 *
 * The host module: which platform Octet runs inside and what it owns (plugin/host/platform.ts),
 * the sync between that platform and Octet's accounts, services, charges and payments, its job,
 * the /host page and GET /api/v1/host/sync.
 *
 * For the composition root: `services.host.owns.blocking` is true when the host blocks overdue
 * customers (Splynx with dunning: splynx); Octet's dunning must not enforce then.
 * `hostWebHooks(ctx, services.host.platform)` gives the web app its auth and frame-ancestors.
 */
import type { ModuleServices, PluginContext } from '../context.js';
import { LeaseRepository } from '../jobs/index.js';
import type { PluginModule } from '../modules.js';
import type { HostPlatform } from './platform.js';
import { hostSyncPorts } from './ports.js';
import { SplynxHost } from './splynx/adapter.js';
import { SplynxClient } from './splynx/client.js';
import { mountSplynxWebhook } from './splynx/webhook.js';
import { StandaloneHost } from './standalone.js';
import { DbNonceStore, mountUispWebhook, UispPlatform } from './uisp/index.js';
import { HostSyncJob } from './sync.job.js';
import { HostSyncRepository } from './sync.repository.js';
import { HostSyncService } from './sync.service.js';
import { HOST_NAV, hostApi, hostPages } from './web/routes.js';

export { buildSplynxDeb, type BuiltPackage } from './splynx/package/build-deb.js';
export { buildUispZip } from './uisp/package/build-zip.js';
export { UispPlatform, UispClient, uispWebhookRoutes, uispPaymentRecorder, UISP_WEBHOOK_PATH, type UispWebhookPorts } from './uisp/index.js';
export type { HostPlatform, HostOwnership, HostKind } from './platform.js';
export { hostConfigSchema, type HostConfig, type SplynxSettings } from './config.js';
export { hostWebHooks, hostIdentity, hostPanelAuth, frameAncestorsFor } from './web-identity.js';

export interface HostServices {
  platform: HostPlatform;
  owns: HostPlatform['owns'];
  /** Null for a host that owns nothing (standalone) or whose provider is built elsewhere (uisp). */
  sync: HostSyncService | null;
  job: HostSyncJob | null;
  /** The host API client's request and retry counts since start (the /host page shows them). */
  requestStats: (() => { requests: number; retries: number; lastRetryReason: string | null }) | null;
}

type Built = Pick<ModuleServices, 'subscribers' | 'invoicing' | 'payments' | 'enforcement'>;

/** Builds the configured host and, where it owns something, its sync (once, by the composition root). */
export function buildHost(ctx: PluginContext, m: Built, options: { platform?: HostPlatform } = {}): HostServices {
  const cfg = ctx.config.host;
  let platform: HostPlatform;
  let sync: { tariffMap: Record<string, string>; pageSize: number; everyMinutes: number } | null = null;
  let requestStats: HostServices['requestStats'] = null;
  if (cfg.kind === 'splynx') {
    const s = cfg.splynx;
    const client = new SplynxClient({ url: s.url, apiKey: s.apiKey, apiSecret: s.apiSecret, auth: s.auth, logger: ctx.logger.child({ host: 'splynx' }), timeoutMs: s.timeoutMs, retry: { attempts: s.retries + 1, baseMs: 500, maxMs: 30_000 } });
    platform = options.platform ?? new SplynxHost({ client, settings: s, currency: ctx.config.billing.currency, timezone: ctx.config.billing.timezone, now: () => ctx.clock.now() });
    sync = { tariffMap: s.tariffMap, pageSize: s.pageSize, everyMinutes: s.syncEveryMinutes };
    if (!options.platform) requestStats = () => client.stats;
  } else if (cfg.kind === 'uisp') {
    // Used assertion nonces in the database: single use holds across plugin instances.
    platform = options.platform ?? new UispPlatform({ settings: cfg, logger: ctx.logger.child({ host: 'uisp' }), nonces: new DbNonceStore(ctx.db) });
    sync = { tariffMap: {}, pageSize: 100, everyMinutes: 15 };
  } else platform = options.platform ?? new StandaloneHost({ subscribers: m.subscribers, payments: m.payments, enforcement: m.enforcement });
  if (!sync || platform.kind === 'standalone') return { platform, owns: platform.owns, sync: null, job: null, requestStats };
  const service = new HostSyncService({
    host: platform,
    repo: new HostSyncRepository(ctx.db, ctx.clock, platform.kind),
    ports: hostSyncPorts({ subscribers: m.subscribers, invoices: m.invoicing.invoices, payments: m.payments, enforcement: m.enforcement }),
    clock: ctx.clock,
    logger: ctx.logger.child({ module: 'host' }),
    timezone: ctx.config.billing.timezone,
    currency: ctx.config.billing.currency,
    tariffMap: sync.tariffMap,
    // Never both enforcing: a host that blocks is mirrored, otherwise Octet reads its payments.
    dunning: platform.owns.blocking ? 'host' : 'octet',
    pageSize: sync.pageSize,
  });
  const job = new HostSyncJob({ sync: service, leases: new LeaseRepository(ctx.db), logger: ctx.logger, everyMinutes: sync.everyMinutes, leaseTtlMs: 10 * 60_000 });
  return { platform, owns: platform.owns, sync: service, job, requestStats };
}

/** The /host page, GET /api/v1/host/sync and the scheduled sync. */
export const hostModule: PluginModule = {
  name: 'host',
  install(ctx, services) {
    const host = services.host;
    const deps = { sync: host.sync, job: host.job, kind: host.platform.kind, owns: host.owns, timezone: ctx.config.billing.timezone, requestStats: host.requestStats };
    return {
      nav: HOST_NAV,
      pages: (router) => hostPages(router, deps),
      api: (router) => hostApi(router, deps),
      raw: (app) => {
        const cfg = ctx.config.host;
        if (cfg.kind === 'uisp' && host.sync && host.platform instanceof UispPlatform) {
          mountUispWebhook(app, { platform: host.platform, sync: host.sync, payments: services.payments, subscribers: services.subscribers.subscribers, logger: ctx.logger });
          return;
        }
        if (cfg.kind !== 'splynx' || !cfg.splynx.webhookSecret || !host.job) return;
        const job = host.job;
        mountSplynxWebhook(app, { secret: cfg.splynx.webhookSecret, logger: ctx.logger, onEvent: () => void job.tick() });
      },
      start: () => host.job?.start(),
      stop: async () => host.job?.stop(),
    };
  },
};
