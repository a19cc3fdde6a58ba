/**
 * Network: the agents' status reports (POST /api/v1/agent/status), the Network page and
 * GET /api/v1/network: each router and NAS, up or down and why, last poll or packet, sessions,
 * errors; each agent's spool depth, shipping lag and version.
 *
 * For other modules (stable names):
 * - `createCompletenessProvider(ctx)` — how far each source is complete (usage/completeness.ts),
 *   for the billing read port; the composition root hands it over.
 * - `networkAttention(ctx)` — how many routers, NASes and agents need attention (the dashboard).
 */
import { apiErrorHandler } from '../api/router.js';
import type { PluginContext } from '../context.js';
import type { PluginModule } from '../modules.js';
import type { CompletenessProvider } from '../usage/index.js';
import { NetworkService } from './network.service.js';
import { mountStatusEndpoint, networkApi, networkPages } from './routes.js';
import { StatusRepository } from './status.repository.js';

export type { NetworkView, NetworkSource, NetworkAgent } from './network.js';
export type { NetworkService } from './network.service.js';

export function buildNetwork(ctx: PluginContext): NetworkService {
  return new NetworkService({ repo: new StatusRepository(ctx.db.sequelize), clock: ctx.clock, silentAfterMinutes: ctx.config.network.silentAfterMinutes });
}

export function createCompletenessProvider(ctx: PluginContext): CompletenessProvider {
  return buildNetwork(ctx);
}

export async function networkAttention(ctx: PluginContext): Promise<number> {
  return (await buildNetwork(ctx).view()).attention;
}

export const networkModule: PluginModule = {
  name: 'network',
  install(ctx, services) {
    const network = services.network;
    return {
      nav: [{ href: '/network', label: 'Network', role: 'readonly', order: 80 }],
      raw: (app) => mountStatusEndpoint(app, { agents: services.ingest.agents, network, errorHandler: apiErrorHandler(ctx) }),
      pages: (router) => networkPages(router, { network }),
      api: (router) => networkApi(router, { network }),
    };
  },
};
