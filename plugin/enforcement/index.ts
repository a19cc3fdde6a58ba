/**
 * Enforcement: what the network should do with each service (active, suspended, throttled), why,
 * and what the agents applied. Desired state is kept apart from services.status (staff's
 * administrative status), so a CSV re-import cannot lift a dunning suspension.
 *
 * For other modules (stable names), `services.enforcement`:
 * - `setDesired({ serviceIds, desired, rate?, cause: { kind, detail, actor } }, t?)` ->
 *   `[{ serviceId, version, changed }]`: idempotent (same state and rate: no new version), with
 *   history and audit; connected agents are woken after the transaction commits.
 * - `stateOf(serviceIds, t?)` -> Map of { desired, rate, version, cause, applied, appliedVersion,
 *   appliedAt, error, ... } (a service never touched is absent: active at version 0).
 * HTTP: the agent API (`/enforcement/desired`, `/enforcement/stream`, `/enforcement/applied`
 * under AGENT_API_PREFIX), FreeRADIUS's rlm_rest authorize (POST /aaa/v1/authorize), the
 * `/enforcement` page, GET /api/v1/enforcement and POST /api/v1/services/{id}/enforcement.
 */
import { apiErrorHandler } from '../api/router.js';
import type { PluginContext } from '../context.js';
import type { PluginModule } from '../modules.js';
import { mountAaa } from './aaa-route.js';
import { mountEnforcementAgentApi } from './agent-routes.js';
import { EnforcementRepository } from './enforcement.repository.js';
import { EnforcementService } from './enforcement.service.js';
import { FairUseJob } from './fair-use.job.js';
import { EnforcementNotifier } from './notifier.js';
import type { AgentDevices, EnforcementSubscribers } from './ports.js';
import type { OutboxPort } from '../webhooks/index.js';
import { enforcementApi, enforcementPages } from './routes.js';

export { enforcementConfigSchema, type EnforcementConfig } from './config.js';
export { AAA_AUTHORIZE_PATH, AAA_SECRET_HEADER } from './aaa-route.js';
export type { EnforcementService, EnforcementStatus, SetDesiredInput, AppliedResult } from './enforcement.service.js';
export type { AgentDevices, EnforcedService, EnforcementSubscribers } from './ports.js';
export type { Cause, CauseKind } from './state.js';
export { FairUseJob } from './fair-use.job.js';
export { enforcementSubscribers } from './subscribers-adapter.js';

export interface EnforcementServices {
  enforcement: EnforcementService;
  setDesired: EnforcementService['setDesired'];
  stateOf: EnforcementService['stateOf'];
  subscribers: EnforcementSubscribers;
}

export function buildEnforcement(ctx: PluginContext, ports: { subscribers: EnforcementSubscribers; devices: AgentDevices; outbox?: Pick<OutboxPort, 'enqueue'> }): EnforcementServices {
  const enforcement = new EnforcementService({
    db: ctx.db,
    repo: new EnforcementRepository(ctx.db),
    audit: ctx.repos.audit,
    notifier: new EnforcementNotifier(),
    subscribers: ports.subscribers,
    devices: ports.devices,
    clock: ctx.clock,
    logger: ctx.logger,
    outbox: ports.outbox,
  });
  return { enforcement, setDesired: (i, t) => enforcement.setDesired(i, t), stateOf: (ids, t) => enforcement.stateOf(ids, t), subscribers: ports.subscribers };
}

export const enforcementModule: PluginModule = {
  name: 'enforcement',
  install(ctx, services) {
    const { enforcement, subscribers } = services.enforcement;
    const cfg = ctx.config.enforcement;
    let closeStreams = () => undefined as void;
    const fairUse = new FairUseJob({
      billing: services.subscribers.billing,
      tariffs: services.tariffs.port,
      usage: services.billingUsage,
      enforcement,
      clock: ctx.clock,
      logger: ctx.logger,
      timezone: ctx.config.billing.timezone,
      cycle: ctx.config.billing.cycle,
    });
    return {
      nav: [{ href: '/enforcement', label: 'Enforcement', role: 'readonly', order: 45 }],
      raw: (app) => {
        closeStreams = mountEnforcementAgentApi(app, { agents: services.ingest.agents, enforcement, logger: ctx.logger, pollMs: cfg.streamPollSeconds * 1000, errorHandler: apiErrorHandler(ctx) }).closeStreams;
        mountAaa(app, { enforcement, secret: cfg.aaa.secret, suspendedAddressList: cfg.aaa.suspendedAddressList, clock: ctx.clock, timezone: ctx.config.billing.timezone, logger: ctx.logger });
      },
      pages: (router) => enforcementPages(router, { enforcement, subscribers }),
      api: (router) => enforcementApi(router, { enforcement, subscribers }),
      start: () => {
        if (cfg.fairUse.enabled) fairUse.start(cfg.fairUse.everyMinutes * 60_000);
      },
      stop: async () => {
        closeStreams();
        await fairUse.stop();
      },
    };
  },
};
