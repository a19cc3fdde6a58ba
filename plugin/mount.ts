import express from 'express';
import type { Clock } from './common/clock.js';
import type { Logger } from './common/logger.js';
import type { PluginConfig } from './config.js';
import type { ModuleServices, PluginContext } from './context.js';
import { buildPlugin, type Plugin } from './main.js';
import { pluginModules, type InstalledModule, type PluginModule } from './modules.js';
import { createWebApp, newSessionSecret } from './web/app.js';
import type { PanelAuth, PanelUser } from './web/mount.js';

export type { PanelAuth, PanelUser } from './web/mount.js';

export interface OctetPluginOptions {
  /** The plugin's configuration (Octet opens its database), or a plugin already built with buildPlugin. */
  config?: PluginConfig;
  plugin?: Plugin;
  logger: Logger;
  clock?: Clock;
  /** Directory that relative sqlite: paths resolve against (default: the working directory). */
  baseDir?: string;
  /**
   * 'standalone': Octet's own login page and sessions. Or the host panel's authentication: its
   * `resolveUser(req)` says who is signed in (null: nobody, and Octet answers 401 without data).
   */
  auth: 'standalone' | PanelAuth;
  /** Mount the pages under this path inside the returned router (or mount the router at a path yourself). */
  basePath?: string;
  /** Origins that may frame the pages (the host panel's), besides Octet's own. */
  frameAncestors?: string[];
  modules?: PluginModule[];
  /** The readiness probe's answer (default: ready once built). */
  isReady?: () => boolean;
}

export interface OctetPlugin {
  /** Octet's pages, /api/v1, the agent API and health: mount it where the panel wants it. */
  router: express.Router;
  /** The scheduled work (billing, dunning, rollups, webhook deliveries); start it in one place. */
  jobs: { start(): void; stop(): Promise<void> };
  services: ModuleServices;
  ctx: PluginContext;
  modules: InstalledModule[];
  /** Stops the jobs and closes the database. */
  close(): Promise<void>;
}

/**
 * Octet as a module of a Node admin panel: migrates, installs every module and returns one
 * express router with the pages behind the panel's own authentication (or Octet's standalone
 * login), and the background jobs to start. `octet serve` is exactly this, mounted at "/" with
 * standalone authentication, plus listen.
 *
 *   const octet = await createOctetPlugin({ config, logger, auth: { resolveUser: (req) => req.panelUser ?? null } });
 *   panel.use('/billing', requirePanelLogin, octet.router);
 *   octet.jobs.start();
 */
export async function createOctetPlugin(options: OctetPluginOptions): Promise<OctetPlugin> {
  if (!options.plugin && !options.config) throw new TypeError('createOctetPlugin needs `config` or a built `plugin`');
  const plugin = options.plugin ?? (await buildPlugin(options.config!, { logger: options.logger, clock: options.clock, baseDir: options.baseDir }));
  const { ctx, services } = plugin;
  try {
    await plugin.migrate();
    const modules = (options.modules ?? pluginModules).map((m) => m.install(ctx, services));
    const sessionSecret = await ctx.repos.settings.getOrCreate('web.session_secret', newSessionSecret);
    const app = createWebApp(ctx, { sessionSecret, contributions: modules, isReady: options.isReady ?? (() => true), auth: options.auth, frameAncestors: options.frameAncestors });
    const router = express.Router();
    if (options.basePath && options.basePath !== '/') router.use(options.basePath.replace(/\/$/, ''), app);
    else router.use(app);
    let started = false;
    const jobs = {
      start: () => {
        if (started) return;
        started = true;
        for (const m of modules) m.start?.();
      },
      stop: async () => {
        if (!started) return;
        started = false;
        for (const m of modules) await m.stop?.();
      },
    };
    return {
      router,
      jobs,
      services,
      ctx,
      modules,
      close: async () => {
        await jobs.stop();
        // Modules whose jobs never started may still hold resources (a mail transport).
        await plugin.close();
      },
    };
  } catch (err) {
    await plugin.close().catch(() => undefined);
    throw err;
  }
}
