import type { Clock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { PluginContext } from '../../../../plugin/context.js';
import { openDatabase } from '../../../../plugin/db/database.js';
import { buildContext } from '../../../../plugin/main.js';

/**
 * Another plugin instance on the same database: its own connections, its own clock (the
 * instances of one installation do not share a clock, and theirs may disagree).
 */
export async function anotherInstance(first: PluginContext, url: string, clock: Clock): Promise<{ ctx: PluginContext; close(): Promise<void> }> {
  const db = await openDatabase(url, nullLogger);
  const ctx = buildContext(first.config, db, nullLogger, clock);
  return { ctx, close: () => db.close() };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
