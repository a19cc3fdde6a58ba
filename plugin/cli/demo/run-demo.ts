import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { agentConfigSchema } from '../../../agent/config.js';
import { MIKROTIK_DICTIONARY, startAgent, type RunningAgent } from '../../../agent/main.js';
import { createRadiusCodec } from '../../../agent/radius/codec.js';
import { startSimulator, type Simulator } from '../../../agent/simulator/index.js';
import { SimulatedNas } from '../../../agent/simulator/radius-nas.js';
import { generatePassword, hashPassword } from '../../auth/index.js';
import type { Logger } from '../../common/logger.js';
import { defaultPluginConfig, type PluginConfig } from '../../config.js';
import { buildPlugin, servePlugin, type Plugin, type RunningPlugin } from '../../main.js';
import { billLastMonth, seedLastMonthUsage, type DemoBilling } from './demo-billing.js';
import { seedDemoTariffs } from './demo-tariffs.js';
import { issueOverdueMonth, OVERDUE_LOGIN, suspendOverdue, type DemoOverdue } from './demo-dunning.js';
import { DemoClock } from './demo-clock.js';
import { FAIR_USE_LOGIN, startStory, type RunningStory, type StoryAct, type StoryEvent } from './story.js';
import { DateTime } from 'luxon';

/**
 * `octet demo`: the whole metering path on one machine, on the embedded default. A simulated
 * MikroTik router (RouterOS API) and a simulated NAS (RADIUS accounting) carry subscriber
 * traffic; the agent polls the one, receives the other, spools and ships; the plugin turns it
 * into hourly usage in its pages. Some subscribers get accounts, others are left for staff to
 * claim from the unclaimed logins page.
 */
export interface DemoOptions {
  dir: string;
  port: number;
  /** Router poll and RADIUS interim interval. */
  intervalSeconds: number;
  logger: Logger;
  /**
   * Tell the story on the demo clock (payments, a month of traffic, an overdue customer suspended
   * and a fair-use cap, the billing day, a payment restoring the customer), one act every
   * `paceSeconds`. Without it the demo stays at the wall clock's time.
   */
  story?: { paceSeconds: number; onEvent: (e: StoryEvent) => void; waitForNext?: (act: StoryAct) => Promise<void> };
}

export interface RunningDemo {
  url: string;
  adminEmail: string;
  adminPassword: string;
  router: Simulator;
  agent: RunningAgent;
  plugin: RunningPlugin;
  /** Last month, invoiced before the live traffic starts. */
  billing: DemoBilling;
  /** The older month one customer left unpaid, and what dunning did about it at this start. */
  overdue: DemoOverdue;
  /** The second simulated router: a few hundred subscribers nobody has claimed yet. */
  south: Simulator;
  clock: DemoClock;
  story: RunningStory | null;
  stop(): Promise<void>;
}

export const DEMO_ADMIN = 'admin@demo.octet.example';
const ROUTER = 'pop-north';
const SOUTH = 'pop-south';
const NAS = 'bras-1';
const MB = 1_000_000 / 8; // bytes per second in one megabit per second

/** Subscribers the demo gives accounts to; the rest of the simulated logins stay unclaimed. */
const CUSTOMERS: Array<{ name: string; login: string; nas: string; tariff: string }> = [
  { name: 'Ada Lovelace', login: 'user0001', nas: ROUTER, tariff: 'fibre-100' },
  { name: 'Alan Turing', login: 'user0002', nas: ROUTER, tariff: 'fibre-100' },
  { name: 'Grace Hopper', login: 'user0003', nas: ROUTER, tariff: 'fibre-300' },
  { name: 'Edsger Dijkstra', login: 'user0004', nas: ROUTER, tariff: 'fibre-300' },
  { name: 'Barbara Liskov', login: 'user0005', nas: ROUTER, tariff: 'night-owl' },
  { name: 'Café Müller', login: 'hs0001', nas: ROUTER, tariff: 'hotspot-day' },
  { name: 'Ken Thompson', login: 'radius-01', nas: NAS, tariff: 'dsl-50' },
  { name: 'Dennis Ritchie', login: 'radius-02', nas: NAS, tariff: 'flat-fair' },
];

/** Joins today (after last month was billed): her first invoice comes on the story's billing day. */
const NEWCOMER = { name: 'Frances Allen', login: FAIR_USE_LOGIN, nas: ROUTER, tariff: 'flat-fair' };

export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const { logger } = options;
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => logger.warn('demo: error while stopping', { err }));
  };

  try {
    const config = defaultPluginConfig({ db: { url: `sqlite:${join(dir, 'octet.db')}` }, http: { host: '127.0.0.1', port: options.port } });
    config.usage.rollupDelayMs = 1000;
    // The story's clock jumps a month ahead; a login made before it must outlive the jumps.
    config.http.sessionHours = 24 * 120;
    // The invoices' PDFs live with the demo's database, not in the working directory.
    config.pdf.storeDir = join(dir, 'invoices');
    // Suspends at once: an invoice is overdue the day after its due date, any amount, any hour.
    config.dunning = { ...config.dunning, reminders: [], graceDays: 0, suspendAfterDays: 1, minimumOverdue: {}, window: { weekdays: [1, 2, 3, 4, 5, 6, 7], fromHour: 0, toHour: 24, holidays: [] } };
    const clock = new DemoClock(join(dir, 'demo-clock.json'));
    const { plugin, adminPassword } = await startDemoPlugin(config, clock, logger.child({ part: 'plugin' }));
    cleanups.push(() => plugin.close());

    // Agent names stay taken after a revoke, so each run registers its own agent.
    const { token, info: agentInfo } = await plugin.services.ingest.agents.create(`demo-${Date.now().toString(36)}`, 'system:demo');

    const routerPassword = randomBytes(9).toString('base64url');
    const router = await startSimulator({
      identity: ROUTER,
      users: [{ name: 'octet', password: routerPassword }],
      sessions: 8,
      hotspotSessions: 2,
      // Averages over a month (a household's 2 Mbit/s is some 650 GB a month): the story's clock
      // jumps, and the counters move by what these rates carry over the time jumped.
      rates: { downloadBps: 2 * MB, uploadBps: 0.3 * MB },
      clock,
    });
    cleanups.push(() => router.close());
    router.model.setRates('user0003', { downloadBps: 6 * MB, uploadBps: 0.8 * MB });
    router.model.setRates(FAIR_USE_LOGIN, { downloadBps: 4 * MB, uploadBps: 0.5 * MB });
    router.model.setRates('user0007', { downloadBps: 3 * MB, uploadBps: 0.4 * MB });
    // A few hundred subscribers, most of them idle at this hour: a clock jump spreads each active
    // session's month over its 15-minute buckets, and the demo's SQLite should not spend minutes on it.
    const south = await startSimulator({ identity: SOUTH, users: [{ name: 'octet', password: routerPassword }], rates: { downloadBps: 0, uploadBps: 0 }, clock });
    cleanups.push(() => south.close());
    south.model.populate(240, { prefix: 'south', kind: 'ppp' });
    for (let i = 1; i <= 12; i++) south.model.setRates(`south${String(i).padStart(4, '0')}`, { downloadBps: 1.5 * MB, uploadBps: 0.2 * MB });

    await seedCustomers(plugin);
    // Before the live traffic: last month's usage through the agent ingest and the rollup, then
    // the real billing run for this month's first, so the newcomer finds a closed month invoiced.
    await seedLastMonthUsage(plugin, agentInfo, CUSTOMERS, { [ROUTER]: 'poll', [NAS]: 'radius' }, logger.child({ part: 'demo' }), clock.firstStart);
    // The billing date before the latest first (invoice numbers follow the dates), then the latest.
    const overduePeriod = await issueOverdueMonth(plugin, clock, OVERDUE_LOGIN);
    const billing = await billLastMonth(plugin, clock.firstStart);

    const radiusSecret = randomBytes(12).toString('base64url');
    const agentConfig = agentConfigSchema.parse({
      plugin: { url: plugin.url, token },
      spool: { dir: join(dir, 'agent-spool') },
      radius: { host: '127.0.0.1', port: 0, clients: [{ name: NAS, address: '127.0.0.1', secret: radiusSecret }] },
      routers: [
        {
          name: ROUTER,
          host: router.host,
          port: router.port,
          username: 'octet',
          password: routerPassword,
          pollIntervalSeconds: options.intervalSeconds,
          collect: { ppp: true, hotspot: true, queues: false },
          inventoryEveryPolls: 1,
        },
        {
          name: SOUTH,
          host: south.host,
          port: south.port,
          username: 'octet',
          password: routerPassword,
          pollIntervalSeconds: options.intervalSeconds,
          collect: { ppp: true, hotspot: false, queues: false },
          inventoryEveryPolls: 1,
        },
      ],
      http: { host: '127.0.0.1', port: 0 },
      enforcement: { devices: [{ name: ROUTER, suspend: 'address-list' }, { name: SOUTH, suspend: 'address-list' }] },
    });
    const agent = await startAgent(agentConfig, { logger: logger.child({ part: 'agent' }), clock });
    cleanups.push(() => agent.stop());

    const nas = new SimulatedNas({
      host: '127.0.0.1',
      port: agent.radiusPort!,
      secret: radiusSecret,
      codec: createRadiusCodec([MIKROTIK_DICTIONARY]),
      logger: logger.child({ part: 'nas' }),
      nasIdentifier: NAS,
      interimSeconds: options.intervalSeconds,
      clock,
      subscribers: [
        { login: 'radius-01', downloadBps: 3 * MB, uploadBps: 0.4 * MB },
        // Under the flat tariff's fair-use cap in a month: bras-1 takes no CoA in the demo.
        { login: 'radius-02', downloadBps: 1 * MB, uploadBps: 0.2 * MB },
        { login: 'radius-03', downloadBps: 2 * MB, uploadBps: 0.3 * MB },
      ],
    });
    await nas.start();
    cleanups.push(() => nas.stop());

    // After the agent is up, so it receives the suspensions over its stream.
    const overdue: DemoOverdue = { period: overduePeriod, suspended: await suspendOverdue(plugin) };
    // Frances Allen joins after last month's run, so she is first billed on the story's billing day.
    await seedCustomer(plugin, NEWCOMER, DateTime.fromJSDate(clock.now(), { zone: config.billing.timezone }).toISODate()!);

    const story = options.story
      ? startStory({ plugin, clock, router, paceSeconds: options.story.paceSeconds, waitForNext: options.story.waitForNext, pollSeconds: options.intervalSeconds, stateFile: join(dir, 'demo-story.json'), logger: logger.child({ part: 'story' }), onEvent: options.story.onEvent })
      : null;
    if (story) {
      // First out: the story's acts use the database and the router.
      cleanups.push(async () => {
        story.stop();
        await story.done;
      });
    }

    return { url: plugin.url, adminEmail: DEMO_ADMIN, adminPassword, router, south, agent, plugin, billing, overdue, clock, story, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The plugin as `octet serve` builds it (one composition root), with the admin made before it listens. */
async function startDemoPlugin(config: PluginConfig, clock: DemoClock, logger: Logger): Promise<{ plugin: RunningPlugin; adminPassword: string }> {
  const built = await buildPlugin(config, { logger, clock });
  let adminPassword: string;
  try {
    await built.migrate();
    adminPassword = await prepareAdmin(built);
  } catch (err) {
    await built.close().catch(() => undefined);
    throw err;
  }
  // servePlugin closes the database itself if it fails.
  return { plugin: await servePlugin(built, { logger }), adminPassword };
}

/** A fresh generated password on every run: there is no default password, even in the demo. */
async function prepareAdmin({ ctx }: Plugin): Promise<string> {
  const password = generatePassword();
  const existing = await ctx.repos.users.findByEmailWithHash(DEMO_ADMIN);
  if (existing) await ctx.repos.users.setPasswordHash(existing.id, await hashPassword(password));
  else await ctx.services.auth.createUser({ email: DEMO_ADMIN, name: 'Demo Admin', role: 'admin', password }, 'system:demo');
  return password;
}

/** Accounts and services for some of the simulated subscribers, once per demo database. */
async function seedCustomers(plugin: RunningPlugin): Promise<void> {
  await seedDemoTariffs(plugin, plugin.ctx.config.billing.currency);
  const startDate = serviceStartDate(plugin.ctx.clock.now(), plugin.ctx.config.billing.timezone);
  for (const c of CUSTOMERS) await seedCustomer(plugin, c, startDate);
}

async function seedCustomer(plugin: RunningPlugin, c: { name: string; login: string; nas: string; tariff: string }, startDate: string): Promise<void> {
  const { subscribers } = plugin.services.subscribers;
  const page = await subscribers.listServices({ login: c.login }, 1);
  if (page.items.length > 0) return;
  const account = await subscribers.createAccount({ name: c.name, email: `${c.login}@demo.octet.example`, externalId: `demo-${c.login}` }, 'system:demo');
  await subscribers.createService(account.id, { login: c.login, tariff: c.tariff, nasName: c.nas, startDate }, 'system:demo');
}

/** 2026-01-01, or earlier when that is not before last month: last month must be wholly billable. */
export function serviceStartDate(now: Date, timezone: string): string {
  const beforeLastMonth = DateTime.fromJSDate(now, { zone: timezone }).startOf('month').minus({ months: 2 }).toISODate()!;
  return beforeLastMonth < '2026-01-01' ? beforeLastMonth : '2026-01-01';
}
