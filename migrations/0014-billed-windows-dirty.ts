import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * `usage_billed_periods.dirty`: set by every write to usage_hourly that touches a billed window
 * (the rollup's upsert and replace, an assignment that moves hours between services) and when a
 * window is closed, cleared when billing has compared the window again. A billing run then
 * re-counts only the windows that may have changed, not every window ever billed. Existing
 * windows start dirty, so the first run after the upgrade compares them all once.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.addColumn('usage_billed_periods', 'dirty', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true });
}
