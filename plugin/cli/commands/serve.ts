import type { Command } from 'commander';
import { startPlugin } from '../../main.js';
import { resolvePluginConfig, withPluginConfigOption } from '../plugin-config.js';
import { parsePort } from '../options.js';

export function registerServe(program: Command): void {
  withPluginConfigOption(
    program
      .command('serve')
      .description('run the billing plugin: admin pages, REST API, agent API and scheduled jobs (migrates first)')
      .option('-p, --port <port>', 'HTTP port (overrides http.port)', parsePort),
  ).action(async (opts: { config?: string; port?: number }) => {
    const { config, logger } = resolvePluginConfig(opts);
    if (opts.port !== undefined) config.http.port = opts.port;
    const running = await startPlugin(config, { logger });
    process.stdout.write(`Octet plugin at ${running.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        logger.info('shutting down');
        void running.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}
