import type { Command } from 'commander';
import { resolvePluginConfig, withPluginConfigOption } from '../plugin-config.js';
import { buildPlugin } from '../../main.js';

export function registerMigrate(program: Command): void {
  withPluginConfigOption(
    program.command('migrate').description('apply pending database migrations (forward-only; safe to run again)'),
  ).action(async (opts: { config?: string }) => {
    const { config, logger } = resolvePluginConfig(opts);
    const plugin = await buildPlugin(config, { logger });
    try {
      const applied = await plugin.migrate();
      process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
    } finally {
      await plugin.close();
    }
  });
}
