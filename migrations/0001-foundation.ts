import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/** Staff users with roles, API tokens, settings, HTTP sessions and the audit log. */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('users', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false },
    disabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    last_login_at: { type: DataTypes.DATE, allowNull: true },
  });

  await q.createTable('api_tokens', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    name: { type: DataTypes.STRING(100), allowNull: false },
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    /** First characters of the token, so staff can tell tokens apart. */
    prefix: { type: DataTypes.STRING(16), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    last_used_at: { type: DataTypes.DATE, allowNull: true },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
  });

  await q.createTable('settings', {
    key: { type: DataTypes.STRING(100), primaryKey: true },
    value: { type: DataTypes.TEXT, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });

  await q.createTable('web_sessions', {
    sid: { type: DataTypes.STRING(128), primaryKey: true },
    expires_at: { type: DataTypes.DATE, allowNull: false },
    data: { type: DataTypes.TEXT, allowNull: false },
  });
  await q.addIndex('web_sessions', ['expires_at']);

  await q.createTable('audit_log', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    at: { type: DataTypes.DATE, allowNull: false },
    /** Who or what caused it: `user:3`, `token:7`, `agent:pop-north`, `system:dunning`. */
    actor: { type: DataTypes.STRING(120), allowNull: false },
    action: { type: DataTypes.STRING(80), allowNull: false },
    entity_type: { type: DataTypes.STRING(40), allowNull: true },
    entity_id: { type: DataTypes.STRING(64), allowNull: true },
    details: { type: DataTypes.TEXT, allowNull: true },
  });
  await q.addIndex('audit_log', ['entity_type', 'entity_id']);
  await q.addIndex('audit_log', ['at']);
}
