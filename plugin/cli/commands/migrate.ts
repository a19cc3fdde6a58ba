import type { Command } from 'commander';
import { openDatabase } from '../../db/database.js';
import { migrate } from '../../db/migrator.js';
import { resolvePluginConfig, withPluginConfigOption } from '../plugin-config.js';

export function registerMigrate(program: Command): void {
  withPluginConfigOption(
    program.command('migrate').description('apply pending database migrations (forward-only; safe to run again)'),
  ).action(async (opts: { config?: string }) => {
    const { config, logger } = resolvePluginConfig(opts);
    const db = await openDatabase(config.db.url, logger);
    try {
      const applied = await migrate(db, logger);
      process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
    } finally {
      await db.close();
    }
  });
}
