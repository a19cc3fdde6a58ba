import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Usage, second pass (issue 12):
 * - `job_leases`: leases judged by the database's clock (epoch ms computed by the server, so
 *   instances with skewed clocks agree), with a fencing token that grows on every takeover; each
 *   transaction under a lease proves it still holds that token (plugin/jobs/lease.ts). Replaces
 *   `usage_job_leases` (kept, unused, so that an older instance still running during an upgrade
 *   fails safe rather than on a missing table).
 * - `usage_observations.synthetic`: the agent made the record up (a close it inferred); kept so a
 *   rebuild applies the same counter rule (plugin/usage/counters.ts).
 * - `usage_billed_periods` and `usage_adjustments`: what billing closed for a service and window,
 *   and the dated corrections found for such windows afterwards (plugin/usage/billing-port.ts).
 *
 * Since this migration `usage_session_hours.hour_start` and `usage_hourly.hour_start` hold the
 * start of a 15-minute bucket (every local hour of every current time zone starts on one);
 * rows written before it are whole UTC hours, which still sum correctly.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('job_leases', {
    name: { type: DataTypes.STRING(64), primaryKey: true },
    holder: { type: DataTypes.STRING(128), allowNull: false },
    /** Grows by one on every acquisition: a transaction carrying an older token is refused. */
    token: { type: DataTypes.BIGINT, allowNull: false },
    /** Epoch milliseconds on the database server's clock. */
    expires_ms: { type: DataTypes.BIGINT, allowNull: false },
  });

  await q.addColumn('usage_observations', 'synthetic', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });

  await q.createTable('usage_billed_periods', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    service_id: { type: DataTypes.INTEGER, allowNull: false },
    from_at: { type: DataTypes.DATE(3), allowNull: false },
    to_at: { type: DataTypes.DATE(3), allowNull: false },
    /** The bands the period was billed with (JSON), so later comparisons use the same cut. */
    bands: { type: DataTypes.TEXT, allowNull: false },
    /** Per band download/upload as billed plus adjustments reported since (JSON, decimal strings). */
    totals: { type: DataTypes.TEXT, allowNull: false },
    closed_by: { type: DataTypes.STRING(100), allowNull: false },
    closed_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('usage_billed_periods', ['service_id', 'from_at', 'to_at'], { unique: true, name: 'usage_billed_periods_window' });

  await q.createTable('usage_adjustments', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    billed_period_id: { type: DataTypes.BIGINT, allowNull: false },
    service_id: { type: DataTypes.INTEGER, allowNull: false },
    band: { type: DataTypes.STRING(64), allowNull: false },
    /** Signed: usage can also move away from a closed window (a correction the other way). */
    download: { type: DataTypes.BIGINT, allowNull: false },
    upload: { type: DataTypes.BIGINT, allowNull: false },
    detected_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('usage_adjustments', ['service_id', 'detected_at'], { name: 'usage_adjustments_service' });
}
