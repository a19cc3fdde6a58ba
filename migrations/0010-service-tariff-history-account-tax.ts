import { DataTypes } from 'sequelize';
import { identityTableOptions } from '../plugin/db/identity-collation.js';
import { sqlTime } from '../plugin/db/sql.js';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Subscribers, billing side (plugin/subscribers/billing-port.ts):
 * - `service_tariffs`: the tariff a service had over time, one row from each instant a tariff
 *   applies (UTC). `services.tariff` stays the display and search value and always equals the
 *   latest row; the billing run reads the history so a change in mid-period is cut where it
 *   happened. Backfilled with one row per service that has a tariff, from UTC midnight of its
 *   start date: a migration cannot read the config's time zone, and the service's start instant
 *   the plugin writes for new services (local midnight) differs from it by the zone's offset only.
 * - accounts: tax name and percent (decimal text; NULL takes the plugin's default), the reason a
 *   tax-exempt account is exempt (printed on the invoice), payment terms in days (NULL: default)
 *   and the address invoices are e-mailed to (NULL: the account's e-mail).
 * - services (account_id, start_date, end_date): the billing run's list of accounts with a service
 *   in a period.
 *
 * Forward-only, like every migration here.
 */
export async function up(ctx: MigrationContext): Promise<void> {
  const { queryInterface: q, dialect } = ctx;
  // Tariff codes compare byte for byte, as in the catalogue (migration 0009).
  await q.createTable('service_tariffs', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    service_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'services', key: 'id' }, onDelete: 'RESTRICT' },
    tariff_code: { type: DataTypes.STRING(64), allowNull: false },
    /** The UTC instant the tariff applies from (whole seconds). */
    from_time: { type: DataTypes.DATE, allowNull: false },
    /** The audit actor (`user:3`, `token:7`, `migration:0010`). */
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  }, await identityTableOptions(ctx));
  await q.addIndex('service_tariffs', ['service_id', 'from_time'], { unique: true, name: 'service_tariffs_service_from' });

  const startInstant = dialect === 'sqlite' ? "start_date || ' 00:00:00.000 +00:00'" : 'CAST(start_date AS DATETIME)';
  await q.sequelize.query(
    `INSERT INTO service_tariffs (service_id, tariff_code, from_time, created_by, created_at)
     SELECT id, tariff, ${startInstant}, 'migration:0010', ? FROM services WHERE tariff IS NOT NULL AND tariff <> ''`,
    { replacements: [sqlTime(dialect, new Date())] },
  );

  // The billing run's keyset over accounts with services in a period reads only this index.
  await q.addIndex('services', ['account_id', 'start_date', 'end_date'], { name: 'services_account_dates' });

  await q.addColumn('accounts', 'tax_name', { type: DataTypes.STRING(40), allowNull: true });
  /** Decimal text ("19", "7.5"); never a float column. */
  await q.addColumn('accounts', 'tax_percent', { type: DataTypes.STRING(12), allowNull: true });
  await q.addColumn('accounts', 'tax_exempt_reason', { type: DataTypes.STRING(200), allowNull: true });
  await q.addColumn('accounts', 'payment_terms_days', { type: DataTypes.INTEGER, allowNull: true });
  await q.addColumn('accounts', 'billing_email', { type: DataTypes.STRING(254), allowNull: true });
}
