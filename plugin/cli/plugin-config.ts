import type { Command } from 'commander';
import { createLogger, type Logger } from '../common/logger.js';
import { defaultPluginConfig, loadPluginConfig, type PluginConfig } from '../config.js';
import { buildPlugin, type Plugin } from '../main.js';

/** `--config FILE` for the plugin's commands; OCTET_CONFIG works too; none means the defaults. */
export function withPluginConfigOption(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'plugin config file (YAML or JSON); default: $OCTET_CONFIG or built-in defaults (SQLite in ./var)');
}

export function resolvePluginConfig(opts: { config?: string }): { config: PluginConfig; logger: Logger } {
  const file = opts.config ?? process.env.OCTET_CONFIG;
  const config = file ? loadPluginConfig(file) : defaultPluginConfig();
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  return { config, logger };
}

/**
 * Runs one command on the plugin as `octet serve` builds it (the one composition root,
 * plugin/main.ts): config, database, every module's services; migrated first, closed after.
 */
export async function withPlugin<T>(opts: { config?: string }, fn: (plugin: Plugin) => Promise<T>): Promise<T> {
  const { config, logger } = resolvePluginConfig(opts);
  const plugin = await buildPlugin(config, { logger });
  try {
    await plugin.migrate();
    return await fn(plugin);
  } finally {
    await plugin.close();
  }
}
