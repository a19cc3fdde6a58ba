import type { Transaction } from 'sequelize';
import type { EnforcementState } from '../common/wire.js';
import type { AccountOutstanding, OpenInvoice } from './policy.js';

/**
 * What dunning reads and drives of other modules, as the issue-14 contracts name them: payments'
 * `outstanding` and enforcement's `setDesired`. The composition root passes the real ports; the
 * specs pass typed fakes of the same shapes.
 */
export interface PaymentsOutstanding {
  /** Per account, read account by account (in `t`: the locked re-check before acting). */
  outstanding(accountIds: number[], asOfDate: string, t?: Transaction): Promise<Map<number, AccountOutstanding>>;
  /** The same answer for many accounts in a few queries (the evaluation's read of everyone). */
  outstandingBatch(accountIds: number[], asOfDate: string, t?: Transaction): Promise<Map<number, AccountOutstanding>>;
}

export interface EnforcementCause {
  kind: 'dunning' | 'staff' | 'fair_use' | 'payment';
  detail: string;
  actor: string;
}

export interface EnforcementDesired {
  setDesired(
    input: { serviceIds: number[]; desired: EnforcementState; rate?: string | null; cause: EnforcementCause },
    t?: Transaction,
  ): Promise<Array<{ serviceId: number; version: number; changed: boolean }>>;
  /** A service never touched is absent (active). */
  stateOf(serviceIds: number[], t?: Transaction): Promise<Map<number, { desired: EnforcementState; cause: EnforcementCause }>>;
}

/** The accounts and services dunning acts on (subscribers' billing port, narrowed). */
export interface DunningSubscribers {
  profiles(accountIds: number[], t?: Transaction): Promise<Map<number, { accountId: number; name: string; email: string | null; billingEmail: string | null; currency: string; status: string }>>;
  services(accountIds: number[], t?: Transaction): Promise<Map<number, Array<{ id: number; accountId: number; status: string; endDate: string | null }>>>;
}

/**
 * Every issued or sent (so unpaid) invoice, by account: the accounts worth evaluating, and the
 * invoices not yet due that reminders before the due date speak of (invoicing's list, narrowed).
 */
export interface DunningInvoices {
  openInvoices(t?: Transaction): Promise<Map<number, OpenInvoice[]>>;
}
