/**
 * Ingest: agents, their tokens, the agent API (batches, inventory) and the Agents pages.
 *
 * For other modules (stable names):
 * - `buildIngest(ctx)` — the agents, ingest and inventory services on the context (the CLI, the
 *   demo, tests and benches register agents through it).
 * - `onObservationsAccepted(ctx, listener)` — called after a batch stored new observations
 *   (the usage rollup subscribes to roll up soon after).
 * - `AgentInfo` — an authenticated agent.
 * - Tables other modules may read: `usage_observations` (what the agents reported, one row per
 *   record id), `router_inventory` (latest snapshot per agent and router).
 */
import { apiErrorHandler } from '../api/router.js';
import type { PluginContext } from '../context.js';
import type { PluginModule } from '../modules.js';
import { mountAgentApi } from './agent-api.js';
import { AgentsRepository } from './agents.repository.js';
import { agentPages } from './agents.routes.js';
import { AgentsService } from './agents.service.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestService } from './ingest.service.js';
import { InventoryRepository } from './inventory.repository.js';
import { InventoryService } from './inventory.service.js';

export type { AgentInfo } from './agents.repository.js';
export type { AgentsService } from './agents.service.js';
export type { InventoryService } from './inventory.service.js';

/** Listens for "a batch stored new observations" on this context (returns the unsubscribe). */
export function onObservationsAccepted(ctx: Pick<PluginContext, 'events'>, listener: () => void): () => void {
  return ctx.events.on('observations.accepted', listener);
}

/** Everything the ingest module builds from the context. */
export function buildIngest(ctx: PluginContext) {
  const agents = new AgentsService({ db: ctx.db, agents: new AgentsRepository(ctx.models), audit: ctx.repos.audit, clock: ctx.clock });
  const ingest = new IngestService({
    db: ctx.db,
    ingest: new IngestRepository(ctx.db, ctx.models),
    clock: ctx.clock,
    logger: ctx.logger,
    options: { futureToleranceMs: ctx.config.usage.futureToleranceMinutes * 60_000 },
  });
  const inventory = new InventoryService({ db: ctx.db, inventory: new InventoryRepository(ctx.models, ctx.db), clock: ctx.clock });
  return { agents, ingest, inventory };
}

export type IngestServices = ReturnType<typeof buildIngest>;

export const ingestModule: PluginModule = {
  name: 'ingest',
  install(ctx, services) {
    const i = services.ingest;
    const timezone = ctx.config.billing.timezone;
    return {
      nav: [{ href: '/agents', label: 'Agents', role: 'admin', order: 90 }],
      raw: (app) =>
        mountAgentApi(app, {
          agents: i.agents,
          ingest: i.ingest,
          inventory: i.inventory,
          onAccepted: () => ctx.events.emit('observations.accepted'),
          errorHandler: apiErrorHandler(ctx),
        }),
      pages: (router) => agentPages(router, { agents: i.agents, timezone }),
    };
  },
};
