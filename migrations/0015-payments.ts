import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Payments (plugin/payments/): money received from an account, how it was spread over the
 * account's invoices, and what was given back.
 *
 * - `payments`: one row per payment received, in the account's currency, in minor units.
 *   `(source, external_id)` is unique: a bank line, a gateway event or an API client's id records
 *   once however often it is sent (NULL external ids do not collide: manual entries have none).
 *   `status`: recorded | part_refunded | refunded.
 * - `payment_allocations`: which part of a payment pays which invoice. What of a payment is
 *   neither allocated nor refunded is the account's credit, allocated to the next invoices.
 * - `payment_refunds`: money given back, always out of one payment's unallocated part (a refund
 *   "of credit" is split over the payments that hold it), with a reason.
 * - `payment_account_locks`: one row per account that ever paid; recording a payment locks it
 *   (SELECT ... FOR UPDATE), so two payments of one account allocate one after the other and
 *   never both to the same outstanding amount. It is payments' own row: the accounts table
 *   belongs to subscribers.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('payments', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    account_id: { type: DataTypes.INTEGER, allowNull: false },
    amount_minor: { type: DataTypes.BIGINT, allowNull: false },
    currency: { type: DataTypes.CHAR(3), allowNull: false },
    /** cash | bank_transfer | card | paypal | other */
    method: { type: DataTypes.STRING(20), allowNull: false },
    reference: { type: DataTypes.STRING(200), allowNull: true },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
    source: { type: DataTypes.STRING(60), allowNull: false },
    external_id: { type: DataTypes.STRING(200), allowNull: true },
    status: { type: DataTypes.STRING(15), allowNull: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('payments', ['source', 'external_id'], { name: 'payments_source_external', unique: true });
  await q.addIndex('payments', ['account_id', 'received_at'], { name: 'payments_account' });

  await q.createTable('payment_allocations', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    payment_id: { type: DataTypes.BIGINT, allowNull: false },
    account_id: { type: DataTypes.INTEGER, allowNull: false },
    invoice_id: { type: DataTypes.BIGINT, allowNull: false },
    amount_minor: { type: DataTypes.BIGINT, allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('payment_allocations', ['payment_id'], { name: 'payment_allocations_payment' });
  await q.addIndex('payment_allocations', ['invoice_id'], { name: 'payment_allocations_invoice' });
  await q.addIndex('payment_allocations', ['account_id'], { name: 'payment_allocations_account' });

  await q.createTable('payment_refunds', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    payment_id: { type: DataTypes.BIGINT, allowNull: false },
    account_id: { type: DataTypes.INTEGER, allowNull: false },
    amount_minor: { type: DataTypes.BIGINT, allowNull: false },
    /** payment | credit: what staff refunded (one payment, or the account's credit) */
    kind: { type: DataTypes.STRING(10), allowNull: false },
    reason: { type: DataTypes.STRING(300), allowNull: false },
    refunded_at: { type: DataTypes.DATE(3), allowNull: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('payment_refunds', ['payment_id'], { name: 'payment_refunds_payment' });
  await q.addIndex('payment_refunds', ['account_id'], { name: 'payment_refunds_account' });

  await q.createTable('payment_account_locks', {
    account_id: { type: DataTypes.INTEGER, primaryKey: true },
  });
}
