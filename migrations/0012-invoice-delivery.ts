import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Invoice delivery (plugin/invoicing/delivery/): the PDF of each issued document and its e-mails.
 *
 * - `invoice_documents`: one row per issued invoice whose PDF is wanted, inserted pending in the
 *   issuing transaction. The job renders it from the stored snapshot, writes the file under
 *   `pdf.storeDir` (the path kept here is relative to it) and records its SHA-256 and size.
 *   A failure is retried with backoff (`attempts`, `next_attempt_at`, `last_error`) and, after
 *   `pdf.maxAttempts`, left `failed` for staff to retry.
 * - `invoice_deliveries`: one row per e-mail to send (at issue, or "resend"), with every attempt's
 *   outcome: `message_id` from the server on success, the server's answer in `last_error` on
 *   failure. `next_attempt_at` is moved forward before each attempt, so a crash mid-send retries
 *   later (at worst the customer gets it twice), never not at all.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('invoice_documents', {
    invoice_id: { type: DataTypes.BIGINT, primaryKey: true },
    /** pending | rendered | failed */
    status: { type: DataTypes.STRING(10), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: { type: DataTypes.DATE(3), allowNull: false },
    last_error: { type: DataTypes.STRING(1000), allowNull: true },
    sha256: { type: DataTypes.CHAR(64), allowNull: true },
    byte_size: { type: DataTypes.BIGINT, allowNull: true },
    path: { type: DataTypes.STRING(500), allowNull: true },
    rendered_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('invoice_documents', ['status', 'next_attempt_at'], { name: 'invoice_documents_due' });

  await q.createTable('invoice_deliveries', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    invoice_id: { type: DataTypes.BIGINT, allowNull: false },
    /** 'email' (the only kind so far) */
    kind: { type: DataTypes.STRING(10), allowNull: false },
    to_address: { type: DataTypes.STRING(320), allowNull: false },
    /** pending | sent | failed */
    status: { type: DataTypes.STRING(10), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: { type: DataTypes.DATE(3), allowNull: false },
    last_error: { type: DataTypes.STRING(1000), allowNull: true },
    message_id: { type: DataTypes.STRING(300), allowNull: true },
    sent_at: { type: DataTypes.DATE(3), allowNull: true },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('invoice_deliveries', ['status', 'next_attempt_at'], { name: 'invoice_deliveries_due' });
  await q.addIndex('invoice_deliveries', ['invoice_id'], { name: 'invoice_deliveries_invoice' });
}
