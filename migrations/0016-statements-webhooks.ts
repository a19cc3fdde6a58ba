import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Bank statements and payment webhooks (plugin/payments/statements, plugin/payments/gateways):
 * - statement_unmatched: credit lines of an imported statement that matched no account or
 *   invoice, waiting for a person. One row per (source, external_id), so importing the same
 *   statement twice queues nothing twice.
 * - statement_csv_mappings: per bank, which CSV column holds what and the decimal separator.
 * - statement_uploads: a file between its preview and its confirmation (a day at most).
 * - gateway_events: the webhook events already handled, by (gateway, event id): a delivery of an
 *   event seen before records nothing.
 */
export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  await q.createTable('statement_unmatched', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    /** `camt053:<IBAN>` or `csv:<bank>`: the payment's source if it is recorded later. */
    source: { type: DataTypes.STRING(80), allowNull: false },
    /** The bank's entry reference (AcctSvcrRef, or the CSV's transaction id). */
    external_id: { type: DataTypes.STRING(200), allowNull: false },
    statement_id: { type: DataTypes.STRING(140), allowNull: true },
    amount_minor: { type: DataTypes.BIGINT, allowNull: false },
    currency: { type: DataTypes.CHAR(3), allowNull: false },
    booking_date: { type: DataTypes.STRING(10), allowNull: false },
    remittance: { type: DataTypes.STRING(1000), allowNull: false, defaultValue: '' },
    payer: { type: DataTypes.STRING(200), allowNull: true },
    end_to_end_id: { type: DataTypes.STRING(140), allowNull: true },
    /** Why no match was made (no reference found, unknown invoice, other currency). */
    reason: { type: DataTypes.STRING(300), allowNull: false },
    /** open | assigned | dismissed */
    status: { type: DataTypes.STRING(12), allowNull: false, defaultValue: 'open' },
    account_id: { type: DataTypes.BIGINT, allowNull: true },
    payment_id: { type: DataTypes.STRING(40), allowNull: true },
    resolution: { type: DataTypes.STRING(500), allowNull: true },
    resolved_by: { type: DataTypes.STRING(200), allowNull: true },
    resolved_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('statement_unmatched', ['source', 'external_id'], { unique: true, name: 'statement_unmatched_source_ref' });
  await q.addIndex('statement_unmatched', ['status', 'id'], { name: 'statement_unmatched_status' });

  await q.createTable('statement_csv_mappings', {
    bank: { type: DataTypes.STRING(60), primaryKey: true },
    /** JSON: { date, amount, currency?, reference, payer?, transactionId, decimalSeparator, dateFormat, delimiter, defaultCurrency? } */
    mapping: { type: DataTypes.TEXT, allowNull: false },
    updated_by: { type: DataTypes.STRING(200), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });

  await q.createTable('statement_uploads', {
    token: { type: DataTypes.CHAR(64), primaryKey: true },
    user_id: { type: DataTypes.BIGINT, allowNull: false },
    /** camt053 | csv */
    kind: { type: DataTypes.STRING(10), allowNull: false },
    bank: { type: DataTypes.STRING(60), allowNull: true },
    filename: { type: DataTypes.STRING(255), allowNull: false },
    content: { type: dialect === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });

  await q.createTable('gateway_events', {
    /** `stripe` or `generic:<name>` */
    gateway: { type: DataTypes.STRING(80), allowNull: false, primaryKey: true },
    event_id: { type: DataTypes.STRING(200), allowNull: false, primaryKey: true },
    event_type: { type: DataTypes.STRING(80), allowNull: false },
    /** The signature's timestamp (seconds): the same signed delivery sent again is a replay. */
    signed_at: { type: DataTypes.BIGINT, allowNull: false },
    /** recorded | duplicate | ignored | unmatched */
    outcome: { type: DataTypes.STRING(20), allowNull: false },
    detail: { type: DataTypes.STRING(300), allowNull: true },
    /** The gateway's object the event is about (Stripe's PaymentIntent id): a refund finds its payment by it. */
    object_id: { type: DataTypes.STRING(200), allowNull: true },
    payment_id: { type: DataTypes.STRING(40), allowNull: true },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('gateway_events', ['gateway', 'object_id'], { name: 'gateway_events_object' });
}
