import type { Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import { sqlTime } from '../db/sql.js';

/**
 * Marks the billed windows (usage_billed_periods) of these services that overlap [fromMs, toMs]
 * as possibly changed. Every writer of usage_hourly calls it, in its own transaction, with the
 * services whose hours it wrote or took away; billing re-counts marked windows only
 * (billing-port.ts pendingAdjustments). Marking too much costs a re-count, never a byte.
 */
export async function markBilledWindowsChanged(db: Database, serviceIds: Iterable<number | null>, fromMs: number, toMs: number, t: Transaction): Promise<void> {
  const ids = [...new Set([...serviceIds].filter((s): s is number => s !== null))];
  for (let i = 0; i < ids.length; i += 1000) {
    await db.sequelize.query('UPDATE usage_billed_periods SET dirty = 1 WHERE dirty = 0 AND service_id IN (?) AND from_at <= ? AND to_at > ?', {
      replacements: [ids.slice(i, i + 1000), sqlTime(db.dialect, fromMs), sqlTime(db.dialect, toMs)],
      transaction: t,
    });
  }
}
