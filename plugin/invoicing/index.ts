/**
 * The invoicing module's port (so far: the document, its PDF and its e-mail). The billing run
 * builds an InvoiceView from a rated document (pure), renders it with the one EJS template,
 * turns that into a PDF through the shared PdfRenderer, and mails it with InvoiceMailer.
 */
export { buildInvoiceView, checkedBranding, DEFAULT_BRANDING, type Branding, type InvoiceLineView, type InvoiceView, type InvoiceViewInput, type Party } from './document/invoice-view.js';
export { DEFAULT_NUMBER_FORMAT, formatAmount, type NumberFormat } from './document/number-format.js';
export { loadInvoiceTemplate, INVOICE_VIEWS, type InvoiceTemplate } from './document/template.js';
export { PdfRenderer, type PdfJob, type PdfRendererOptions, type RenderedPdf } from './pdf/renderer.js';
export { classifyMailError, InvoiceMailer, MailPermanentError, MailTemporaryError, type SentMail, type SmtpSettings } from './mail/invoice-mailer.js';
export { pdfConfigSchema, pdfRendererOptions, smtpConfigSchema, smtpSettings, type PdfConfig, type SmtpConfig } from './config.js';
