import type { PluginContext, ModuleServices } from '../../../../../plugin/context.js';
import { pluginModules, type PluginModule } from '../../../../../plugin/modules.js';
import type { GatewaysConfig } from '../../../../../plugin/payments/gateways/index.js';
import { buildStatements, installStatements, matchLookups, type StatementsServices } from '../../../../../plugin/payments/statements/index.js';

/**
 * The plugin's modules plus statements, built from the services the composition root made, as
 * plugin/main.ts does once statements is wired there (`services.statements`).
 */
export function withStatements(gateways?: GatewaysConfig): { modules: PluginModule[]; built: () => StatementsServices } {
  let built: StatementsServices | null = null;
  const build = (ctx: PluginContext, services: ModuleServices) =>
    buildStatements(ctx, {
      payments: services.payments,
      lookups: matchLookups({ invoices: services.invoicing.invoices, accounts: services.subscribers.billing, subscribers: services.subscribers.subscribers }),
      gateways,
    });
  const module: PluginModule = {
    name: 'statements',
    install(ctx, services) {
      built = build(ctx, services);
      return installStatements(ctx, built);
    },
  };
  return {
    // Once the composition root wires statements, its module is replaced by this one (with the test's secrets).
    modules: [...pluginModules.filter((m) => m.name !== 'statements'), module],
    built: () => {
      if (!built) throw new Error('statements not installed');
      return built;
    },
  };
}
