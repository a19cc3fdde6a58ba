import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Dunning (plugin/dunning/), kept apart from the accounts table that staff and imports write:
 *
 * - `dunning_accounts`: one row per account dunning knows, keyed by account_id. Its row is the
 *   lock every suspension decision and every payment's restoration take first (SELECT … FOR
 *   UPDATE), so a payment and an evaluation never interleave. It holds the exemption (with its
 *   reason), the promise to pay (a local date, inclusive) and whether dunning suspended the
 *   account and which services (only what dunning suspended does dunning restore). They are read
 *   by that locking read, which on MariaDB sees the latest commit even inside a payment's
 *   transaction whose snapshot is older.
 * - `dunning_reminders`: one row per reminder of an invoice at an offset (unique), so a reminder
 *   is recorded once however often the evaluation runs. `status`: pending (to send), sent,
 *   failed, unsent (SMTP off or no address: due, recorded, not sent).
 * - `dunning_notes`: staff follow-up notes per account.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('dunning_accounts', {
    account_id: { type: DataTypes.BIGINT, primaryKey: true },
    exempt: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    exempt_reason: { type: DataTypes.STRING(500), allowNull: true },
    promise_until: { type: DataTypes.STRING(10), allowNull: true },
    promise_note: { type: DataTypes.STRING(500), allowNull: true },
    suspended: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    suspended_at: { type: DataTypes.DATE(3), allowNull: true },
    /** JSON array of the service ids dunning suspended: its restoration lifts exactly these. */
    suspended_services: { type: DataTypes.STRING(4000), allowNull: true },
    last_decision: { type: DataTypes.STRING(1000), allowNull: true },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.createTable('dunning_reminders', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    account_id: { type: DataTypes.BIGINT, allowNull: false },
    invoice_id: { type: DataTypes.BIGINT, allowNull: false },
    offset_days: { type: DataTypes.INTEGER, allowNull: false },
    amount_minor: { type: DataTypes.BIGINT, allowNull: false },
    currency: { type: DataTypes.CHAR(3), allowNull: false },
    to_address: { type: DataTypes.STRING(320), allowNull: true },
    status: { type: DataTypes.STRING(10), allowNull: false },
    last_error: { type: DataTypes.STRING(1000), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    sent_at: { type: DataTypes.DATE(3), allowNull: true },
  });
  await q.addIndex('dunning_reminders', ['invoice_id', 'offset_days'], { unique: true, name: 'dunning_reminders_once' });
  await q.addIndex('dunning_reminders', ['account_id'], { name: 'dunning_reminders_account' });
  await q.createTable('dunning_notes', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    account_id: { type: DataTypes.BIGINT, allowNull: false },
    note: { type: DataTypes.STRING(2000), allowNull: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('dunning_notes', ['account_id', 'created_at'], { name: 'dunning_notes_account' });
}
