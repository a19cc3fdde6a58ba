/**
 * Dunning's port: reminders, suspension of overdue accounts and their restoration.
 * `onPaymentRecorded(accountId, t)` is what payments call inside a payment's transaction; it
 * takes the account's dunning lock and restores at once when nothing overdue is left.
 */
export { dunningConfigSchema, type DunningConfig } from './config.js';
export { decideDunning, outsideWindow, type AccountOutstanding, type DunningDecision, type DunningPolicy, type OpenInvoice } from './policy.js';
export { AGING_BUCKETS, agingRows, bucketOf, type AgingRow } from './aging.js';
export { DunningService, DUNNING_LEASE, type AccountDecision, type EvaluationResult } from './dunning.service.js';
export type { DunningInvoices, DunningSubscribers, EnforcementCause, EnforcementDesired, PaymentsOutstanding } from './ports.js';
export { buildDunning, dunningModule, dunningPolicy, type DunningPorts, type DunningServices } from './module.js';
