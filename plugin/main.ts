import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Transaction } from 'sequelize';
import { AuditRepository } from './audit/index.js';
import { ApiTokensRepository, AuthService, LoginFailuresRepository, UsersRepository } from './auth/index.js';
import { systemClock, type Clock } from './common/clock.js';
import type { Logger } from './common/logger.js';
import type { PluginConfig } from './config.js';
import type { ModuleServices, PluginContext } from './context.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrator.js';
import { defineModels } from './db/models/index.js';
import { PluginEvents } from './events.js';
import { buildIngest } from './ingest/index.js';
import type { InstalledModule, PluginModule } from './modules.js';
import { SettingsRepository } from './settings/index.js';
import { buildSubscribers } from './subscribers/index.js';
import { buildTariffs } from './tariffs/index.js';
import { buildInvoicing } from './invoicing/index.js';
import { buildDunning } from './dunning/index.js';
import { buildPayments, buildStatements, matchLookups } from './payments/index.js';
import { buildUsage, createBillingUsage } from './usage/index.js';
import { buildNetwork } from './network/index.js';
import { buildEnforcement, enforcementSubscribers } from './enforcement/index.js';
import express from 'express';
import { createOctetPlugin } from './mount.js';
import { buildWebhooks } from './webhooks/index.js';
import { buildHost, hostWebHooks } from './host/index.js';

export interface PluginDeps {
  logger: Logger;
  clock?: Clock;
  /** Directory that relative sqlite: paths resolve against (default: the working directory). */
  baseDir?: string;
  modules?: PluginModule[];
}

/** Builds the shared context on an open database. The one place where repositories are made. */
export function buildContext(config: PluginConfig, db: Database, logger: Logger, clock: Clock): PluginContext {
  const models = defineModels(db.sequelize);
  const users = new UsersRepository(models);
  const tokens = new ApiTokensRepository(models);
  const audit = new AuditRepository(models, clock);
  const settings = new SettingsRepository(models, clock);
  return {
    config,
    logger,
    clock,
    db,
    models,
    events: new PluginEvents(),
    repos: { users, tokens, audit, settings },
    services: { auth: new AuthService({ db, users, tokens, audit, failures: new LoginFailuresRepository(models), clock }) },
  };
}

/** Builds every module's services once on the context; `octet serve`, the CLI and the demo share them. */
export function buildModuleServices(ctx: PluginContext): ModuleServices {
  // Webhooks first: the modules whose changes it announces write to its outbox in their own transactions.
  const webhooks = buildWebhooks(ctx);
  const outbox = webhooks.outbox;
  // Billing's answer to "billed through when?" for the modules built before it (invoicing reads
  // them through their ports); they ask it only when called, once everything is built.
  const serviceBilledThrough = async (serviceId: number, t?: Transaction) => (await invoicing.invoices.lastBilledDates([serviceId], t)).get(serviceId) ?? null;
  const ingest = buildIngest(ctx);
  const usage = buildUsage(ctx);
  // The catalogue is built before subscribers (which checks assignments through its port); its
  // own look-ups of accounts and services go through subscribers once that is built.
  const tariffs = buildTariffs(ctx, {
    subscribers: {
      requireAccount: async (id) => void (await subscribers.subscribers.getAccount(id)),
      serviceTariff: async (id) => {
        const s = await subscribers.subscribers.getService(id);
        return { accountId: s.accountId, tariff: s.tariff };
      },
    },
    billedThrough: { service: (id) => serviceBilledThrough(id), account: (id) => invoicing.invoices.lastBilledDateOfAccount(id) },
  });
  const subscribers = buildSubscribers(ctx, {
    usageQueries: usage.queries,
    inventory: ingest.inventory,
    assignable: (code) => tariffs.port.assignable(code),
    billedThrough: serviceBilledThrough,
  });
  const network = buildNetwork(ctx);
  // Billing reads usage through this port; the agents' status reports say how far it is final.
  const billingUsage = createBillingUsage(ctx, network);
  const invoicing = buildInvoicing(ctx, { subscribers: subscribers.billing, tariffs: tariffs.port, usage: billingUsage, outbox });
  // Dunning sets payments.onPaymentRecorded once built: a payment restores in its own transaction.
  const payments = buildPayments(ctx, { invoices: invoicing.invoices, accounts: subscribers.billing, outbox });
  // Enforcement finds an agent's services by the routers and NASes its status reports name.
  const enforcement = buildEnforcement(ctx, {
    subscribers: enforcementSubscribers(subscribers.subscribers),
    devices: { devicesOf: async (agent) => (await network.view()).sources.filter((s) => s.agent === agent).map((s) => s.name) },
    outbox,
  });
  const dunning = buildDunning(ctx, { subscribers: subscribers.billing, invoices: invoicing.invoices, payments, enforcement, seller: async () => (await invoicing.delivery.profile.current()).seller.name });
  // A payment restores a dunning suspension in the payment's own transaction, not at the next tick.
  payments.onPaymentRecorded = async (accountId, t) => void (await dunning.onPaymentRecorded(accountId, t));
  const statements = buildStatements(ctx, { payments, lookups: matchLookups({ invoices: invoicing.invoices, accounts: subscribers.billing, subscribers: subscribers.subscribers }), gateways: ctx.config.payments });
  // The host platform (standalone, Splynx, UISP) and its sync; `host.owns.blocking` says whether Octet's dunning may enforce.
  const host = buildHost(ctx, { subscribers, invoicing, payments, enforcement });
  return { ingest, usage, subscribers, network, billingUsage, tariffs, invoicing, payments, enforcement, dunning, statements, webhooks, host };
}

/** The plugin built on an open database: what every command of `octet` works with. */
export interface Plugin {
  config: PluginConfig;
  ctx: PluginContext;
  services: ModuleServices;
  /** Applies pending migrations (every command runs it before touching tables). */
  migrate(): Promise<string[]>;
  /** Closes the database. */
  close(): Promise<void>;
}

/**
 * The plugin's composition root: opens the database and builds the context, the repositories and
 * every module's services, once. `octet serve` (startPlugin), the CLI commands and the demo all
 * start here, so none of them constructs a repository itself.
 */
export async function buildPlugin(config: PluginConfig, deps: Omit<PluginDeps, 'modules'>): Promise<Plugin> {
  const db = await openDatabase(config.db.url, deps.logger, deps.baseDir, { busyTimeoutMs: config.db.busyTimeoutMs });
  const ctx = buildContext(config, db, deps.logger, deps.clock ?? systemClock);
  const services = buildModuleServices(ctx);
  return { config, ctx, services, migrate: () => migrate(db, deps.logger), close: () => db.close() };
}

export interface RunningPlugin {
  ctx: PluginContext;
  services: ModuleServices;
  server: Server;
  url: string;
  modules: InstalledModule[];
  close(): Promise<void>;
}

/** `octet serve`: build (buildPlugin), migrate, listen, start jobs. */
export async function startPlugin(config: PluginConfig, deps: PluginDeps): Promise<RunningPlugin> {
  return servePlugin(await buildPlugin(config, deps), deps);
}

/**
 * `octet serve`'s shell: createOctetPlugin mounted at "/" (with Octet's own login, or the host
 * platform's staff identity and frame-ancestors), listening on config.http; the same code path
 * a Node admin panel mounts.
 */
export async function servePlugin(plugin: Plugin, deps: Pick<PluginDeps, 'logger' | 'modules'>): Promise<RunningPlugin> {
  const { config, ctx, services } = plugin;
  let ready = false;
  // Inside a host panel (Splynx, UISP) the host vouches for staff and may frame the pages; standalone, Octet's own login.
  const web = hostWebHooks(ctx, services.host.platform);
  const octet = await createOctetPlugin({ plugin, logger: deps.logger, auth: web.auth, frameAncestors: web.frameAncestors, modules: deps.modules, isReady: () => ready });
  try {
    const app = express();
    app.disable('x-powered-by');
    app.use(octet.router);
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.http.port, config.http.host, () => resolve(s));
      s.once('error', reject);
    });
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
    octet.jobs.start();
    if ((await ctx.repos.users.countActiveAdmins()) === 0) {
      deps.logger.warn('no admin user yet: create one with `octet user add --email you@example.net --name "Your Name" --role admin`');
    }
    ready = true;
    deps.logger.info('plugin listening', { url });
    return {
      ctx,
      services,
      server,
      url,
      modules: octet.modules,
      close: async () => {
        ready = false;
        await octet.jobs.stop();
        // Let requests in flight finish (an agent's batch is mid-transaction) before the database
        // closes; connections still open after 10 s are cut.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(force);
        await ctx.db.close();
      },
    };
  } catch (err) {
    await octet.jobs.stop().catch(() => undefined);
    await ctx.db.close().catch(() => undefined);
    throw err;
  }
}
