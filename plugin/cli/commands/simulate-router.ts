import { InvalidArgumentError, type Command } from 'commander';
import { simulatorConfigSchema, simulatorOptionsFrom, startSimulator, type SimulatorConfig } from '../../../agent/simulator/index.js';
import { ConfigError } from '../../common/errors.js';
import { loadConfigFile, zodIssues } from '../../common/config-file.js';
import { createLogger } from '../../common/logger.js';

interface Flags {
  config?: string;
  host?: string;
  port?: number;
  rosVersion?: string;
  sessions?: number;
  hotspotSessions?: number;
  downloadRate?: number;
  uploadRate?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
  username?: string;
  password?: string;
}

function wholeNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`must be a whole number from 0 to ${max}`);
    return n;
  };
}

/** `octet simulate-router`: the RouterOS API simulator as a process (demo, manual tests, benches). */
export function registerSimulateRouter(program: Command): void {
  program
    .command('simulate-router')
    .description('run a simulated MikroTik router speaking the RouterOS API (for demos, tests and benchmarks)')
    .option('-c, --config <file>', 'simulator config (YAML); see config/simulator.example.yaml')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <port>', 'API port; 0 picks a free one (default 8728)', wholeNumber(65535))
    .option('--version <version>', 'RouterOS version to behave as: 6.49.x (no !empty) or 7.18+ (default 7.18.2)')
    .option('--sessions <n>', 'PPPoE subscribers connected at start', wholeNumber(200_000))
    .option('--hotspot-sessions <n>', 'hotspot subscribers logged in at start', wholeNumber(200_000))
    .option('--download-rate <bytesPerSecond>', 'download rate of each subscriber', wholeNumber(1e12))
    .option('--upload-rate <bytesPerSecond>', 'upload rate of each subscriber', wholeNumber(1e12))
    .option('--tls-cert <file>', 'PEM certificate for API-SSL (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for API-SSL')
    .option('--tls-port <port>', 'API-SSL port (default 8729)', wholeNumber(65535))
    .option('--username <name>', 'API user (default admin)')
    .option('--password <password>', 'API password (default empty)')
    .action(async (opts: Flags & { version?: string }) => {
      const config = resolveConfig({ ...opts, ...(opts.version !== undefined ? { rosVersion: opts.version } : {}) });
      const logger = createLogger({ level: 'warn' });
      const sim = await startSimulator({ ...simulatorOptionsFrom(config, opts.config ?? '(flags)'), logger });
      const ssl = sim.tlsPort !== null ? `, API-SSL on ${sim.host}:${sim.tlsPort}` : '';
      process.stdout.write(
        `simulate-router: RouterOS ${config.version} API on ${sim.host}:${sim.port}${ssl}; ` +
          `${config.sessions.ppp} PPP and ${config.sessions.hotspot} hotspot sessions\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => void sim.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

/** The config file (if any), then flags on top; validated by the same schema either way. */
function resolveConfig(opts: Flags): SimulatorConfig {
  const file = opts.config;
  const base: SimulatorConfig = file ? loadConfigFile(file, simulatorConfigSchema) : simulatorConfigSchema.parse({});
  const raw = structuredClone(base) as Record<string, unknown> & SimulatorConfig;
  if (opts.host !== undefined) raw.listen.host = opts.host;
  if (opts.port !== undefined) raw.listen.port = opts.port;
  if (opts.rosVersion !== undefined) raw.version = opts.rosVersion;
  if (opts.sessions !== undefined) raw.sessions.ppp = opts.sessions;
  if (opts.hotspotSessions !== undefined) raw.sessions.hotspot = opts.hotspotSessions;
  if (opts.downloadRate !== undefined) raw.sessions.downloadBytesPerSecond = opts.downloadRate;
  if (opts.uploadRate !== undefined) raw.sessions.uploadBytesPerSecond = opts.uploadRate;
  if (opts.username !== undefined || opts.password !== undefined) {
    raw.users = [{ name: opts.username ?? 'admin', password: opts.password ?? '' }];
  }
  if (opts.tlsCert !== undefined || opts.tlsKey !== undefined) {
    if (opts.tlsCert === undefined || opts.tlsKey === undefined) {
      throw new ConfigError(file ?? '(flags)', [{ field: 'tls', message: '--tls-cert and --tls-key go together' }]);
    }
    raw.tls = { port: opts.tlsPort ?? raw.tls?.port ?? 8729, certFile: opts.tlsCert, keyFile: opts.tlsKey };
  } else if (opts.tlsPort !== undefined && raw.tls) {
    raw.tls.port = opts.tlsPort;
  }
  const parsed = simulatorConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file ?? '(flags)', zodIssues(parsed.error));
  return parsed.data;
}
