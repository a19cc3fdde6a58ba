import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Subscribers: indexes that keep account search fast at 100,000 accounts, and the table holding
 * an uploaded CSV between its preview and its confirmation (several plugin instances may serve
 * the two requests, so it cannot live in one process's memory or disk).
 */
export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  if (dialect === 'mysql') {
    // Names and e-mails compare case-insensitively (search "smith" finds "Smith") while still
    // using their indexes for prefix search and for the (name, id) keyset order.
    await q.sequelize.query(
      'ALTER TABLE accounts MODIFY name VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL, ' +
        'MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL',
    );
  } else {
    // SQLite's LIKE is case-insensitive and can use an index only when it is NOCASE.
    await q.sequelize.query('CREATE INDEX accounts_email_nocase ON accounts (email COLLATE NOCASE)');
    await q.sequelize.query('CREATE INDEX services_login_nocase ON services (login COLLATE NOCASE)');
  }

  await q.createTable('import_uploads', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    /** Random, so one staff member cannot confirm another's upload by guessing ids. */
    token: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    filename: { type: DataTypes.STRING(255), allowNull: false },
    /** The uploaded bytes, base64: kept exactly as sent until confirmed. */
    content: { type: dialect === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await q.addIndex('import_uploads', ['created_at']);
}
