import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Enforcement (plugin/enforcement): the desired network state of each service (active, suspended,
 * throttled) with why and by whom, and what the agent last applied. Kept apart from
 * services.status, which is staff's administrative status: a CSV re-import that rewrites the
 * service cannot lift a dunning suspension. `version` grows by one per change of a service; the
 * agent applies an item only if its version is newer than what it applied.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('enforcement_state', {
    service_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    desired: { type: DataTypes.STRING(16), allowNull: false },
    rate: { type: DataTypes.STRING(64), allowNull: true },
    version: { type: DataTypes.INTEGER, allowNull: false },
    cause_kind: { type: DataTypes.STRING(16), allowNull: false },
    cause_detail: { type: DataTypes.STRING(500), allowNull: false },
    cause_actor: { type: DataTypes.STRING(100), allowNull: false },
    changed_at: { type: DataTypes.DATE(3), allowNull: false },
    applied: { type: DataTypes.STRING(16), allowNull: true },
    applied_rate: { type: DataTypes.STRING(64), allowNull: true },
    applied_version: { type: DataTypes.INTEGER, allowNull: true },
    applied_at: { type: DataTypes.DATE(3), allowNull: true },
    applied_error: { type: DataTypes.STRING(1000), allowNull: true },
    /** The router or NAS that reported the last applied state. */
    device: { type: DataTypes.STRING(128), allowNull: true },
  });
  await q.addIndex('enforcement_state', ['desired'], { name: 'enforcement_state_desired' });
  await q.createTable('enforcement_events', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    service_id: { type: DataTypes.INTEGER, allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    /** 'desired' (a change of desired state) or 'applied' (an agent's report). */
    kind: { type: DataTypes.STRING(16), allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false },
    rate: { type: DataTypes.STRING(64), allowNull: true },
    cause_kind: { type: DataTypes.STRING(16), allowNull: true },
    detail: { type: DataTypes.STRING(1000), allowNull: true },
    actor: { type: DataTypes.STRING(100), allowNull: false },
    at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('enforcement_events', ['service_id', 'id'], { name: 'enforcement_events_service' });
}

