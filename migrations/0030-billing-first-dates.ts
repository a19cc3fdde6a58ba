import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * The billing date of the first document that carried each service (invoicing/run/account-rating.ts
 * usageWindow). Billing needs it for two rules:
 * - A service that starts on a billing date, entered (in the period it starts in) after that
 *   date's run and carried by no document yet, carries that date's documents on its first
 *   invoice. Before, a service starting on the 1st but entered after the run for the 1st lost
 *   that run's invoice: the next run carried only what came after the 1st, so the first month's
 *   fee in advance was never billed.
 * - With billing.invoiceOnStart, the first invoice of a service starting between two billing dates
 *   is issued on a day that is no billing date; the next billing date carries what came after it.
 *
 * Written in the issuing transaction with the documents; a service is recorded once (its primary
 * key), so two runs of different dates that both read it as not carried cannot both carry it.
 *
 * The backfill records, for every service on an issued run document (invoice or credit note, any
 * status but draft), the first billing date it appeared on, so that an upgrade bills nothing
 * twice: such a service counts as carried from that date on, as it was.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('billing_first_dates', {
    service_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    period_key: { type: DataTypes.STRING(10), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.sequelize.query(
    `INSERT INTO billing_first_dates (service_id, period_key, created_at)
     SELECT l.service_id, MIN(i.period_key), MIN(i.issued_at)
       FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE l.service_id IS NOT NULL AND i.billing_run_id IS NOT NULL AND i.status <> 'draft' AND i.issued_at IS NOT NULL
      GROUP BY l.service_id`,
  );
}
