import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/** Customers (accounts) and their internet services. */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('accounts', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    /** The id this customer has in another system (import key); unique when present. */
    external_id: { type: DataTypes.STRING(100), allowNull: true, unique: true },
    name: { type: DataTypes.STRING(200), allowNull: false },
    email: { type: DataTypes.STRING(254), allowNull: true },
    phone: { type: DataTypes.STRING(50), allowNull: true },
    address_line1: { type: DataTypes.STRING(200), allowNull: true },
    address_line2: { type: DataTypes.STRING(200), allowNull: true },
    city: { type: DataTypes.STRING(100), allowNull: true },
    postal_code: { type: DataTypes.STRING(20), allowNull: true },
    /** ISO 3166-1 alpha-2. */
    country: { type: DataTypes.STRING(2), allowNull: true },
    tax_id: { type: DataTypes.STRING(50), allowNull: true },
    tax_exempt: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    /** ISO 4217; invoices for this account are in this currency. */
    currency: { type: DataTypes.STRING(3), allowNull: false },
    /** active | suspended | closed */
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await q.addIndex('accounts', ['name']);
  await q.addIndex('accounts', ['email']);

  await q.createTable('services', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    account_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'accounts', key: 'id' }, onDelete: 'RESTRICT' },
    /** RADIUS User-Name / PPP secret name / hotspot user. */
    login: { type: DataTypes.STRING(253), allowNull: false },
    /**
     * Equals `login` while the service is live (not ended) and NULL after: a unique index on it
     * makes logins unique among live services on MySQL and SQLite alike (both allow many NULLs),
     * where a partial index would work on SQLite only.
     */
    live_login: { type: DataTypes.STRING(253), allowNull: true, unique: true },
    /** Tariff code (rating builds on it). */
    tariff: { type: DataTypes.STRING(64), allowNull: true },
    /** The router or NAS the service lives on, as named in the agent's config. */
    nas_name: { type: DataTypes.STRING(128), allowNull: true },
    /** active | suspended | ended */
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
    /** Dates (YYYY-MM-DD) in the ISP's time zone; end_date is the last day of service. */
    start_date: { type: DataTypes.DATEONLY, allowNull: false },
    end_date: { type: DataTypes.DATEONLY, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await q.addIndex('services', ['account_id']);
  await q.addIndex('services', ['login']);
}
