import type { Router } from 'express';
import { accountBillingPage } from './account-page.js';
import type { InvoicingWebDeps } from './deps.js';
import { invoicePages } from './invoice-pages.js';
import { reportPages } from './report-pages.js';
import { runPages } from './run-pages.js';

export { invoicingDashboard } from './dashboard-widget.js';
export type { BillingServicePort, DeliveryPort, InvoicingWebDeps, MailHistoryEntry, ReconcileResult, RunProgress } from './deps.js';

/**
 * The invoicing module's admin pages, mounted behind login and CSRF by the app: invoices,
 * billing runs and reconciliation, an account's billing, reports. Readonly staff see all of it;
 * billing staff also credit, resend and start runs.
 */
export function invoicingPages(router: Router, deps: InvoicingWebDeps): void {
  invoicePages(router, deps);
  runPages(router, deps);
  accountBillingPage(router, deps);
  reportPages(router, deps);
}

/** Navigation entries for the pages above. */
export const INVOICING_NAV = [
  { href: '/invoices', label: 'Invoices', role: 'readonly' as const, order: 50 },
  { href: '/billing/runs', label: 'Billing runs', role: 'readonly' as const, order: 55 },
  { href: '/reports', label: 'Reports', role: 'readonly' as const, order: 60 },
];
