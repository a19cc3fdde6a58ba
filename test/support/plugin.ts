import type express from 'express';
import { ManualClock, type Clock } from '../../plugin/common/clock.js';
import { nullLogger, type Logger } from '../../plugin/common/logger.js';
import { pluginConfigSchema, type PluginConfigInput } from '../../plugin/config.js';
import type { ModuleServices, PluginContext } from '../../plugin/context.js';
import { openDatabase } from '../../plugin/db/database.js';
import { migrate } from '../../plugin/db/migrator.js';
import { buildContext, buildModuleServices } from '../../plugin/main.js';
import { pluginModules, type InstalledModule, type PluginModule } from '../../plugin/modules.js';
import { createWebApp } from '../../plugin/web/app.js';
import { createTestDatabase, type TestDialect } from './databases.js';

export interface TestPlugin {
  ctx: PluginContext;
  /** Every module's services, built once as the composition root builds them. */
  services: ModuleServices;
  app: express.Express;
  modules: InstalledModule[];
  clock: Clock;
  url: string;
  close(): Promise<void>;
}

/**
 * A migrated plugin on a fresh database of the given dialect, with its express app (not
 * listening: drive it with supertest) and every module installed.
 */
export async function createTestPlugin(
  dialect: TestDialect,
  options: { clock?: Clock; logger?: Logger; config?: Partial<PluginConfigInput>; modules?: PluginModule[]; serverDefaultDatabase?: boolean } = {},
): Promise<TestPlugin> {
  const database = await createTestDatabase(dialect, { serverDefaults: options.serverDefaultDatabase });
  const logger = options.logger ?? nullLogger;
  const clock = options.clock ?? new ManualClock('2026-03-01T00:00:00Z');
  const config = pluginConfigSchema.parse({ ...options.config, db: { ...options.config?.db, url: database.url } });
  const db = await openDatabase(database.url, logger, undefined, { busyTimeoutMs: config.db.busyTimeoutMs });
  await migrate(db, logger);
  const ctx = buildContext(config, db, logger, clock);
  const services = buildModuleServices(ctx);
  const modules = (options.modules ?? pluginModules).map((m) => m.install(ctx, services));
  const app = createWebApp(ctx, { sessionSecret: 'test-session-secret', contributions: modules, isReady: () => true });
  return {
    ctx,
    services,
    app,
    modules,
    clock,
    url: database.url,
    close: async () => {
      for (const m of modules) await m.stop?.();
      await db.close();
      await database.drop();
    },
  };
}
