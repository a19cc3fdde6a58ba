import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Failed staff logins, one row each, counted over a sliding window per client address and per
 * account (plugin/auth/login-throttle.ts). In the database rather than in memory so that the
 * limits hold across every plugin instance behind a load balancer. Rows are pruned once they
 * leave the window.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('login_failures', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    /** SHA-256 (hex) of `address:<ip>` or `account:<e-mail>`: neither is stored in clear. */
    key_hash: { type: DataTypes.CHAR(64), allowNull: false },
    scope: { type: DataTypes.STRING(10), allowNull: false },
    at: { type: DataTypes.DATE, allowNull: false },
  });
  await q.addIndex('login_failures', ['key_hash', 'at']);
  await q.addIndex('login_failures', ['at']);
}
