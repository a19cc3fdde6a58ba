import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * The latest status report of each agent (plugin/network): its routers and NASes, up or down and
 * why, and how far each is complete for billing. One row per agent, replaced by each report; the
 * report is kept as the agent sent it (validated JSON), the time columns are for queries.
 */
export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  await q.createTable('agent_status_reports', {
    agent_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    /** The agent's name when it reported (names never change; the agents table is ingest's). */
    agent_name: { type: DataTypes.STRING(100), allowNull: false },
    report: { type: dialect === 'mysql' ? DataTypes.TEXT('medium') : DataTypes.TEXT, allowNull: false },
    taken_at: { type: DataTypes.DATE(3), allowNull: false },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
  });
}
