import type { Command } from 'commander';
import { createLogger, type Logger } from '../common/logger.js';
import { defaultPluginConfig, loadPluginConfig, type PluginConfig } from '../config.js';

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
