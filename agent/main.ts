import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { systemClock, type Clock } from '../plugin/common/clock.js';
import { errorMessage } from '../plugin/common/errors.js';
import { createLogger, type Logger } from '../plugin/common/logger.js';
import { loadAgentConfig, pollSourcedNames, type AgentConfig } from './config.js';
import { startAgentHttp } from './http.js';
import { createRadiusCodec } from './radius/codec.js';
import { RadiusAccountingServer } from './radius/server.js';
import { SessionBook } from './radius/session-book.js';
import { PluginClient } from './shipper/plugin-client.js';
import { Shipper } from './shipper/shipper.js';
import { Spool } from './spool/spool.js';
import { createPollers, type Pollers } from './poller/index.js';
import { connectRouter } from './poller/poller.js';
import { createEnforcer, type EnforcerHealth } from './enforcer/index.js';
import { NasActivity } from './status/nas-activity.js';
import { StatusReporter } from './status/reporter.js';

/**
 * The agent's composition root: the only place that builds the parts and wires them together.
 * Everything below it gets its logger, clock, metrics registry and collaborators passed in.
 */

/** The agent's version as it reports it to the plugin (package.json). */
export const AGENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const MIKROTIK_DICTIONARY = fileURLToPath(new URL('../config/dictionaries/dictionary.mikrotik', import.meta.url));

export interface RunningAgent {
  httpPort: number;
  radiusPort: number | null;
  spool: Spool;
  registry: Registry;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  clock?: Clock;
  /** Builds the router pollers (tests substitute their own). */
  createPollers?: typeof createPollers;
}

export async function startAgent(config: AgentConfig, options: StartOptions): Promise<RunningAgent> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'octet_agent_' });

  const spool = await Spool.open({ dir: config.spool.dir, maxBytes: config.spool.maxBytes, logger: logger.child({ part: 'spool' }), clock, registry });
  const stops: Array<() => Promise<void>> = [() => spool.close()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.error('agent: error while stopping', { error: errorMessage(err) }));
    }
  };
  try {
    let radiusPort: number | null = null;
    // Notes per NAS when its records arrived and where they landed, for the status report.
    const nasActivity = new NasActivity(spool, clock);
    let book: SessionBook | undefined;
    if (config.radius) {
      const opened = await SessionBook.open({
        stateDir: config.stateDir,
        spool,
        logger: logger.child({ part: 'radius' }),
        clock,
        endedMemoryMs: config.radius.endedSessionMemoryHours * 3600_000,
      });
      book = opened.book;
      const server = new RadiusAccountingServer({
        host: config.radius.host,
        port: config.radius.port,
        clients: config.radius.clients,
        pollSourced: pollSourcedNames(config.routers),
        sink: nasActivity,
        sessions: book,
        codec: createRadiusCodec([MIKROTIK_DICTIONARY]),
        clock,
        logger: logger.child({ part: 'radius' }),
        registry,
        retransmitWindowMs: config.radius.duplicateWindowSeconds * 1000,
        knownRecordIds: opened.recentRecordIds,
      });
      const b = book;
      stops.push(() => b.stop());
      radiusPort = (await server.start()).port;
      stops.push(() => server.stop());
      book.start();
    }

    const shipper = new Shipper({
      spool,
      client: new PluginClient({ url: config.plugin.url, token: config.plugin.token, timeoutMs: config.plugin.timeoutSeconds * 1000 }),
      clock,
      logger: logger.child({ part: 'shipper' }),
      registry,
      batchSize: config.plugin.batchSize,
    });
    shipper.start();
    stops.push(() => shipper.stop());

    let pollers: Pollers | undefined;
    if (config.routers.length > 0) {
      pollers = (options.createPollers ?? createPollers)({
        routers: config.routers,
        sink: spool,
        journal: spool,
        inventory: shipper,
        stateDir: config.stateDir,
        clock,
        logger: logger.child({ part: 'poller' }),
        registry,
      });
      pollers.start();
      const p = pollers;
      stops.push(() => p.stop());
    }

    let enforcerHealth: (() => EnforcerHealth) | null = null;
    if (config.enforcement) {
      const openSessions = book;
      const { enforcer, close } = createEnforcer({
        config: config.enforcement,
        plugin: config.plugin,
        routers: config.routers,
        nases: config.radius?.clients ?? [],
        stateDir: config.stateDir,
        connect: (r) => connectRouter(r, logger.child({ part: 'enforcer', router: r.name })),
        sessions: (nas, login) =>
          (openSessions?.openFor(nas) ?? []).filter((s) => s.login === login).map((s) => ({ sessionId: s.sessionId, ...(s.framedIp ? { framedIp: s.framedIp } : {}) })),
        dictionaryFiles: [MIKROTIK_DICTIONARY],
        clock,
        logger: logger.child({ part: 'enforcer' }),
      });
      await enforcer.start();
      enforcerHealth = () => enforcer.health();
      stops.push(close);
    }

    const reporter = new StatusReporter({
      facts: () => {
        const spoolStats = spool.stats();
        const complete = new Map((pollers?.completeThrough(spoolStats.ackedSeq) ?? []).map((c) => [c.router, c.completeThrough]));
        return {
          version: AGENT_VERSION,
          spool: spoolStats,
          shipper: shipper.status(),
          routers: (pollers?.status() ?? []).map((r) => ({ ...r, errors: r.errors ?? 0, completeThrough: complete.get(r.router) ?? null })),
          nases: (config.radius?.clients ?? [])
            .filter((c) => !pollSourced.has(c.name))
            .map((c) => ({ nas: c.name, ...nasActivity.status(c.name, spoolStats.ackedSeq) })),
        };
      },
      post: (report, signal) => statusClient.postStatus(report, signal),
      clock,
      logger: logger.child({ part: 'status' }),
    });
    const pollSourced = pollSourcedNames(config.routers);
    const statusClient = new PluginClient({ url: config.plugin.url, token: config.plugin.token, timeoutMs: config.plugin.timeoutSeconds * 1000 });
    reporter.start();
    stops.push(() => reporter.stop());

    const sessions = book;
    const http = await startAgentHttp({
      host: config.http.host,
      port: config.http.port,
      registry,
      logger: logger.child({ part: 'http' }),
      health: () => ({
        spool: spool.stats(),
        shipper: shipper.status(),
        routers: pollers?.status() ?? [],
        radius: sessions ? { enabled: true, openSessions: sessions.size } : null,
        enforcer: enforcerHealth?.() ?? null,
      }),
    });
    stops.push(() => http.close());
    logger.info('agent: started', { radiusPort, httpPort: http.port, routers: config.routers.length, spoolId: spool.id });
    return { httpPort: http.port, radiusPort, spool, registry, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `octet agent --config FILE`: runs until SIGTERM or SIGINT, then stops in order and returns. */
export async function runAgentCommand(configFile: string): Promise<void> {
  // V8's default heap growth on purpose: --heap-growing-percent=20 kept 100,000 open sessions near
  // 160 MB instead of ~180 MB, but its frequent major GCs doubled the p99 event-loop stall and
  // kept the RADIUS server below FreeRADIUS (test/bench/radius.bench.ts, agent-memory.bench.ts).
  const config = loadAgentConfig(configFile);
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const agent = await startAgent(config, { logger });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('agent: stopping', { signal });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await agent.stop();
  logger.info('agent: stopped');
}
