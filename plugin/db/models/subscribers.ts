import { DataTypes, type Sequelize } from 'sequelize';

/** Tables of migrations/0002-accounts-services.ts (accounts' columns of 0010 too). */
export function defineSubscriberModels(sequelize: Sequelize) {
  const Account = sequelize.define('Account', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    externalId: { type: DataTypes.STRING, field: 'external_id' },
    name: DataTypes.STRING,
    email: DataTypes.STRING,
    phone: DataTypes.STRING,
    addressLine1: { type: DataTypes.STRING, field: 'address_line1' },
    addressLine2: { type: DataTypes.STRING, field: 'address_line2' },
    city: DataTypes.STRING,
    postalCode: { type: DataTypes.STRING, field: 'postal_code' },
    country: DataTypes.STRING,
    taxId: { type: DataTypes.STRING, field: 'tax_id' },
    taxExempt: { type: DataTypes.BOOLEAN, field: 'tax_exempt' },
    // Migration 0010: tax, payment terms and invoice address.
    taxName: { type: DataTypes.STRING, field: 'tax_name' },
    taxPercent: { type: DataTypes.STRING, field: 'tax_percent' },
    taxExemptReason: { type: DataTypes.STRING, field: 'tax_exempt_reason' },
    paymentTermsDays: { type: DataTypes.INTEGER, field: 'payment_terms_days' },
    billingEmail: { type: DataTypes.STRING, field: 'billing_email' },
    currency: DataTypes.STRING,
    status: DataTypes.STRING,
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
  }, { tableName: 'accounts' });

  const Service = sequelize.define('Service', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    accountId: { type: DataTypes.INTEGER, field: 'account_id' },
    login: DataTypes.STRING,
    liveLogin: { type: DataTypes.STRING, field: 'live_login' },
    tariff: DataTypes.STRING,
    nasName: { type: DataTypes.STRING, field: 'nas_name' },
    status: DataTypes.STRING,
    startDate: { type: DataTypes.DATEONLY, field: 'start_date' },
    endDate: { type: DataTypes.DATEONLY, field: 'end_date' },
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
  }, { tableName: 'services' });

  Account.hasMany(Service, { foreignKey: 'accountId', as: 'services' });
  Service.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  return { Account, Service };
}
