import type { Response } from 'express';
import type { AuditRepository } from '../../audit/index.js';
import type { StaffUser } from '../../auth/index.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { SubscribersBillingPort } from '../../subscribers/index.js';
import type { UsageQueries } from '../../usage/index.js';
import type { Transaction } from 'sequelize';
import type { BillingService } from '../billing.service.js';
import type { Delivery } from '../delivery/index.js';
import type { InvoiceTemplate } from '../document/template.js';
import type { InvoicesRepository } from '../invoices.repository.js';
import type { ReportsRepository } from '../reports/reports.repository.js';

/**
 * The billing service's API as the lead specified it (plugin/invoicing/billing.service.ts). The
 * pages and the REST API are typed against this shape, so the real service and the specs' fakes
 * both fit it structurally.
 */
export interface RunProgress {
  id: string;
  periodKey: string;
  dryRun: boolean;
  status: 'running' | 'finished' | 'failed' | 'interrupted';
  startedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  accountsSeen: number;
  invoicesIssued: number;
  creditNotesIssued: number;
  accountsAlreadyBilled: number;
  accountsFailed: number;
  errors: Array<{ accountId: number; message: string }>;
  preview: Array<{ accountId: number; name: string; currency: string; lines: number; totalMinor: string; creditMinor: string }>;
  totals: Array<{ currency: string; invoicedMinor: string; creditedMinor: string }>;
  /** Why a failed run failed. */
  failure?: string | null;
}

export interface ReconcileResult {
  periodKey: string;
  invoices: number;
  windows?: number;
  differences: Array<{ invoiceNumber: string; serviceId: number; from?: string; to?: string; billedBytes: string; usageBytes: string; adjustmentsBytes: string; differenceBytes: string }>;
}

export interface BillingServicePort {
  start(periodKey: string, options: { dryRun: boolean; by: string }): Promise<{ runId: string }>;
  progress(runId: string): Promise<RunProgress>;
  runs(limit?: number): Promise<RunProgress[]>;
  duePeriods(): Promise<string[]>;
  creditNote(invoiceId: string, options: { reason: string; by: string; lines?: number[]; void?: boolean }): Promise<{ creditNoteId: string; number: string }>;
  reconcile(periodKey: string): Promise<ReconcileResult>;
}

/** The real service must keep fitting this port: a change of its API fails to compile here. */
export type BillingServiceFits = BillingService extends BillingServicePort ? true : never;
export const BILLING_SERVICE_FITS: BillingServiceFits = true;
export type MailServiceFits = Delivery['mail'] extends NonNullable<DeliveryPort['mail']> ? true : never;
export const MAIL_SERVICE_FITS: MailServiceFits = true;

/** One e-mail attempt as H3's mail.history lists it (fields it may not have are optional). */
export interface MailHistoryEntry {
  /** The delivery's id: a failed one is retried at H3's /delivery/emails/:id/retry. */
  id?: string;
  to: string;
  status: string;
  attempts?: number;
  lastError?: string | null;
  createdAt?: Date;
  sentAt?: Date | null;
}

export interface DeliveryPort {
  mail?: {
    enqueue(invoiceId: string, to: string, t?: Transaction, createdBy?: string): Promise<unknown>;
    history(invoiceId: string): Promise<MailHistoryEntry[]>;
  };
}

/** What the invoicing pages and API are given by the composition root. */
export interface InvoicingWebDeps {
  invoices: Pick<InvoicesRepository, 'list' | 'get' | 'snapshot' | 'usage'>;
  billing: BillingServicePort;
  reports: ReportsRepository;
  delivery?: DeliveryPort;
  audit: Pick<AuditRepository, 'record'>;
  logger: Logger;
  /** The ISP's time zone: instants print in it, the current period is cut in it. */
  timezone: string;
  clock: Clock;
  /** Account names and billing e-mail addresses, batched (subscribers' billing port). */
  accounts: Pick<SubscribersBillingPort, 'profiles'>;
  /** Per-day usage of an account (usage's query port); without it the account page has no chart. */
  usage?: Pick<UsageQueries, 'accountUsage'>;
  /** The invoice document's template (loadInvoiceTemplate()); loaded on first use when absent. */
  template?: InvoiceTemplate;
}

export function pageActor(res: Response): string {
  return `user:${(res.locals.user as StaffUser).id}`;
}
