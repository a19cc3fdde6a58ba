import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Webhooks out (plugin/webhooks). `webhook_outbox` is written in the same transaction as the
 * change it announces (an issued invoice, a payment, a suspension), so an event exists exactly
 * when its change committed; `event_id` is what receivers dedupe on. The delivery worker fans each
 * event out to the endpoints subscribed to its type (one `webhook_deliveries` row per event and
 * endpoint, and one more per manual replay), then posts and retries it until it is delivered or dead.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('webhook_endpoints', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    url: { type: DataTypes.STRING(2000), allowNull: false },
    /** The signing secret: shown once when the endpoint is made, never again. */
    secret: { type: DataTypes.STRING(100), allowNull: false },
    /** Event types, comma-separated; '*' for all. */
    events: { type: DataTypes.STRING(500), allowNull: false },
    active: { type: DataTypes.BOOLEAN, allowNull: false },
    description: { type: DataTypes.STRING(200), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.createTable('webhook_outbox', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    event_id: { type: DataTypes.STRING(40), allowNull: false, unique: true },
    type: { type: DataTypes.STRING(40), allowNull: false },
    payload: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    /** When the worker made its deliveries; null until then. */
    dispatched_at: { type: DataTypes.DATE(3), allowNull: true },
  });
  await q.addIndex('webhook_outbox', ['dispatched_at', 'id'], { name: 'webhook_outbox_pending' });
  await q.createTable('webhook_deliveries', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    event_id: { type: DataTypes.STRING(40), allowNull: false },
    endpoint_id: { type: DataTypes.INTEGER, allowNull: false },
    /** Attempts made so far. */
    attempt: { type: DataTypes.INTEGER, allowNull: false },
    /** pending (an attempt is due at next_attempt_at), delivered, dead (gave up). */
    status: { type: DataTypes.STRING(16), allowNull: false },
    response_code: { type: DataTypes.INTEGER, allowNull: true },
    duration_ms: { type: DataTypes.INTEGER, allowNull: true },
    error: { type: DataTypes.STRING(1000), allowNull: true },
    next_attempt_at: { type: DataTypes.DATE(3), allowNull: true },
    /** 'system' for the event's own delivery, `user:<id>` or `api:<token>` for a replay. */
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('webhook_deliveries', ['status', 'next_attempt_at'], { name: 'webhook_deliveries_due' });
  await q.addIndex('webhook_deliveries', ['event_id'], { name: 'webhook_deliveries_event' });
  await q.addIndex('webhook_deliveries', ['endpoint_id', 'id'], { name: 'webhook_deliveries_endpoint' });
}
