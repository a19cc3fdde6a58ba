import type { ModuleServices, PluginContext } from './context.js';
import type { WebContribution } from './web/contribution.js';
import { ingestModule } from './ingest/index.js';
import { usageModule } from './usage/index.js';
import { subscribersModule } from './subscribers/index.js';
import { networkModule } from './network/index.js';
import { invoicingModule } from './invoicing/index.js';
import { tariffsModule } from './tariffs/index.js';
import { dunningModule } from './dunning/index.js';
import { paymentsModule, statementsModule } from './payments/index.js';
import { enforcementModule } from './enforcement/index.js';
import { hostModule } from './host/index.js';
import { webhooksModule } from './webhooks/index.js';

/**
 * A capability of the plugin (usage, subscribers, billing…). Installing it returns what it adds
 * to the HTTP surface and the scheduler, from the services the composition root built once
 * (plugin/main.ts, buildModuleServices); it builds no repositories of its own.
 */
export interface PluginModule {
  name: string;
  install(ctx: PluginContext, services: ModuleServices): InstalledModule;
}

export interface InstalledModule extends WebContribution {
  /** Starts background work (scheduled jobs); called once by `octet serve`. */
  start?(): void;
  stop?(): Promise<void>;
}

/** Every module of the plugin, in install order. */
// network and enforcement first: their agent endpoints sit under the agent API, whose router answers 404 for the rest.
export const pluginModules: PluginModule[] = [networkModule, enforcementModule, ingestModule, usageModule, subscribersModule, tariffsModule, invoicingModule, paymentsModule, statementsModule, dunningModule, webhooksModule, hostModule];
