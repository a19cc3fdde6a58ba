/**
 * The invoicing module's port (so far: the document, its PDF and its e-mail). The billing run
 * builds an InvoiceView from a rated document (pure), renders it with the one EJS template,
 * turns that into a PDF through the shared PdfRenderer, and mails it with InvoiceMailer.
 *
 * The PdfRenderer keeps a pool of reused pages in two single-process Chromiums (launched with
 * puppeteer-core over the DevTools pipe; `pdf.browsers`), writes each invoice into a page and
 * prints it with Page.printToPDF on a raw CDP session; an overrun SIGKILLs that browser, and renders
 * lost with it are retried once on a relaunched one.
 */
export { buildInvoiceView, checkedBranding, DEFAULT_BRANDING, type Branding, type InvoiceLineView, type InvoiceView, type InvoiceViewInput, type Party } from './document/invoice-view.js';
export { DEFAULT_NUMBER_FORMAT, formatAmount, type NumberFormat } from './document/number-format.js';
export { loadInvoiceTemplate, INVOICE_VIEWS, type InvoiceTemplate } from './document/template.js';
export { PdfRenderer, type PdfJob, type PdfRendererOptions, type RenderedPdf } from './pdf/renderer.js';
export { classifyMailError, compileMailTemplate, InvoiceMailer, smtpTransport, MailPermanentError, MailTemporaryError, type SentMail, type SmtpSettings } from './mail/invoice-mailer.js';
export { pdfConfigSchema, pdfRendererOptions, smtpConfigSchema, smtpSettings, type PdfConfig, type SmtpConfig } from './config.js';

export { BillingService, periodKeyOf, type BillingDeps, type BillingRules, type InvoiceProfile, type RunProgress, type SubscribersBilling, type TariffsBilling, type UsageBilling } from './billing.service.js';
export { CreditNotes } from './credit-notes.js';
export { InvoicesRepository, type InvoiceFilter, type InvoiceRecord, type BilledUsageRow } from './invoices.repository.js';
export { BillingRunsRepository } from './run/runs.repository.js';
export type { Reconciliation } from './run/reconcile.js';
export { INVOICE_STATUSES, type DocumentType, type InvoiceStatus } from './invoice.js';
export { decodeSnapshot, type InvoiceSnapshot } from './snapshot.js';
export { buildInvoicing, invoicingModule, type InvoicingServices, type InvoicingPorts } from './module.js';
