import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Host sync (plugin/host): which host record is which Octet account or service (`host_links`,
 * with a fingerprint of what was last copied, so an unchanged record writes nothing), where each
 * stream of the sync stands (`host_sync_state`: cursor saved after every page, so a failed run
 * resumes there; counts; last error and next attempt), the usage charges already posted to the
 * host (`host_posted_charges`, one row per Octet invoice line key) and the latest errors
 * (`host_sync_errors`) for the /host page.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('host_links', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    host: { type: DataTypes.STRING(16), allowNull: false },
    /** customer or service. */
    kind: { type: DataTypes.STRING(16), allowNull: false },
    external_id: { type: DataTypes.STRING(64), allowNull: false },
    octet_id: { type: DataTypes.INTEGER, allowNull: false },
    /** For a service: its customer's external id. */
    parent_external_id: { type: DataTypes.STRING(64), allowNull: true },
    fingerprint: { type: DataTypes.STRING(64), allowNull: false },
    /** The host's blocking state last mirrored into enforcement (customers, dunning: host). */
    blocked: { type: DataTypes.BOOLEAN, allowNull: true },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('host_links', ['host', 'kind', 'external_id'], { name: 'host_links_external', unique: true });
  await q.addIndex('host_links', ['host', 'kind', 'octet_id'], { name: 'host_links_octet' });
  await q.addIndex('host_links', ['host', 'parent_external_id'], { name: 'host_links_parent' });
  await q.createTable('host_sync_state', {
    host: { type: DataTypes.STRING(16), primaryKey: true, allowNull: false },
    /** customers, services, charges, payments, blocking. */
    stream: { type: DataTypes.STRING(16), primaryKey: true, allowNull: false },
    /** Where the stream resumes (the provider's opaque cursor); null: from the start. */
    cursor_text: { type: DataTypes.STRING(1000), allowNull: true },
    last_run_at: { type: DataTypes.DATE(3), allowNull: true },
    last_ok_at: { type: DataTypes.DATE(3), allowNull: true },
    /** JSON counts of the last run: { created, updated, unchanged, posted, skipped, failed }. */
    counts: { type: DataTypes.STRING(1000), allowNull: true },
    last_error: { type: DataTypes.STRING(1000), allowNull: true },
    /** Consecutive failed runs (the backoff grows with it); 0 after a good run. */
    failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: { type: DataTypes.DATE(3), allowNull: true },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.createTable('host_posted_charges', {
    charge_key: { type: DataTypes.STRING(191), primaryKey: true, allowNull: false },
    host: { type: DataTypes.STRING(16), allowNull: false },
    invoice_id: { type: DataTypes.BIGINT, allowNull: false },
    /** The host's finance record (transaction or invoice id). */
    external_id: { type: DataTypes.STRING(64), allowNull: false },
    /** True when the host already held the key (a re-run after a crash). */
    found_existing: { type: DataTypes.BOOLEAN, allowNull: false },
    posted_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('host_posted_charges', ['invoice_id'], { name: 'host_posted_charges_invoice' });
  await q.createTable('host_sync_errors', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    host: { type: DataTypes.STRING(16), allowNull: false },
    stream: { type: DataTypes.STRING(16), allowNull: false },
    /** The host record concerned, when one is. */
    external_id: { type: DataTypes.STRING(64), allowNull: true },
    message: { type: DataTypes.STRING(1000), allowNull: false },
    at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('host_sync_errors', ['host', 'id'], { name: 'host_sync_errors_host' });
}
