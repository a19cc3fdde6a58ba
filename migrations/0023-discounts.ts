import { DataTypes } from 'sequelize';
import { identityTableOptions } from '../plugin/db/identity-collation.js';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Discounts (plugin/tariffs, beside extra charges): a percentage or a fixed amount per period off
 * a service's recurring fee, its usage, or all of its charges; or a percentage off every service
 * of an account (service_id NULL). Valid over [from_date, until_date) (local dates, either open),
 * optionally for `periods` billing periods. The value is decimal text, never a float. Removing a
 * discount (status 'removed') stops it on later invoices; issued invoices keep their lines.
 */
export async function up(ctx: MigrationContext): Promise<void> {
  const { queryInterface: q } = ctx;
  const options = await identityTableOptions(ctx);
  await q.createTable(
    'discounts',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      account_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'accounts', key: 'id' }, onDelete: 'RESTRICT' },
      service_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'services', key: 'id' }, onDelete: 'RESTRICT' },
      code: { type: DataTypes.STRING(64), allowNull: false },
      description: { type: DataTypes.STRING(200), allowNull: false },
      /** recurring_fee | usage | all */
      applies_to: { type: DataTypes.STRING(16), allowNull: false },
      /** percent | fixed */
      kind: { type: DataTypes.STRING(16), allowNull: false },
      /** Decimal text: the percentage ("50") or major units per period ("5.00"). */
      value: { type: DataTypes.STRING(40), allowNull: false },
      from_date: { type: DataTypes.DATEONLY, allowNull: true },
      until_date: { type: DataTypes.DATEONLY, allowNull: true },
      periods: { type: DataTypes.INTEGER, allowNull: true },
      /** active | removed */
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
      created_by: { type: DataTypes.STRING(100), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    options,
  );
  await q.addIndex('discounts', ['account_id', 'status'], { name: 'discounts_account' });
}
