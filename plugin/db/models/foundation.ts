import { DataTypes, type Sequelize } from 'sequelize';

/** Tables of migrations/0001-foundation.ts. Models describe tables only: no rules, no hooks. */
export function defineFoundationModels(sequelize: Sequelize) {
  const User = sequelize.define('User', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    email: DataTypes.STRING,
    name: DataTypes.STRING,
    passwordHash: { type: DataTypes.STRING, field: 'password_hash' },
    role: DataTypes.STRING,
    disabled: DataTypes.BOOLEAN,
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    lastLoginAt: { type: DataTypes.DATE, field: 'last_login_at' },
  }, { tableName: 'users' });

  const ApiToken = sequelize.define('ApiToken', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    name: DataTypes.STRING,
    tokenHash: { type: DataTypes.STRING, field: 'token_hash' },
    prefix: DataTypes.STRING,
    role: DataTypes.STRING,
    createdBy: { type: DataTypes.STRING, field: 'created_by' },
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    lastUsedAt: { type: DataTypes.DATE, field: 'last_used_at' },
    revokedAt: { type: DataTypes.DATE, field: 'revoked_at' },
  }, { tableName: 'api_tokens' });

  const Setting = sequelize.define('Setting', {
    key: { type: DataTypes.STRING, primaryKey: true },
    value: DataTypes.TEXT,
    updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
  }, { tableName: 'settings' });

  const WebSession = sequelize.define('WebSession', {
    sid: { type: DataTypes.STRING, primaryKey: true },
    expiresAt: { type: DataTypes.DATE, field: 'expires_at' },
    data: DataTypes.TEXT,
  }, { tableName: 'web_sessions' });

  const AuditEntry = sequelize.define('AuditEntry', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    at: DataTypes.DATE,
    actor: DataTypes.STRING,
    action: DataTypes.STRING,
    entityType: { type: DataTypes.STRING, field: 'entity_type' },
    entityId: { type: DataTypes.STRING, field: 'entity_id' },
    details: DataTypes.TEXT,
  }, { tableName: 'audit_log' });

  // migrations/0008-login-failures.ts
  const LoginFailure = sequelize.define('LoginFailure', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    keyHash: { type: DataTypes.CHAR(64), field: 'key_hash' },
    scope: DataTypes.STRING,
    at: DataTypes.DATE,
  }, { tableName: 'login_failures' });

  return { User, ApiToken, Setting, WebSession, AuditEntry, LoginFailure };
}
