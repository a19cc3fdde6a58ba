import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Single use of the page assertions a host plugin signs (UISP CRM: plugin/host/uisp/assertion.ts):
 * one row per nonce seen, kept until its assertion expires. The primary key decides, so a nonce
 * presented to two Octet instances at once is accepted by one of them only.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('host_assertion_nonces', {
    nonce: { type: DataTypes.STRING(64), primaryKey: true },
    /** Unix seconds after which the assertion is refused anyway and the row may go. */
    expires_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await q.addIndex('host_assertion_nonces', ['expires_at'], { name: 'host_assertion_nonces_expiry' });
}
