/**
 * The payments module's port: `services.payments` records payments (idempotent by source and
 * external id), allocates them and credit to invoices, refunds, and says what accounts owe
 * (`outstanding`, which dunning reads) and their balance and statement.
 */
export { buildPayments, paymentsModule, type PaymentsPorts, type PaymentsServices } from './module.js';
export { PaymentsService, type AccountBalance, type PaymentsDeps, type RecordPayment } from './payments.service.js';
export { PAYMENT_METHODS, type PaymentMethod, type PaymentRecord, type PaymentStatus, type RefundRecord } from './payments.repository.js';
export type { Outstanding, OverdueInvoice } from './outstanding.js';
export { amountFromText } from './amount.js';
export { buildStatements, matchLookups, statementsModule, type StatementsServices } from './statements/index.js';
