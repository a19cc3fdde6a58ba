import type { InvoiceViewInput } from '../document/invoice-view.js';
import type { InvoiceSnapshot } from '../snapshot.js';

/**
 * What the invoice document is rendered from: the issued snapshot only (its parties, branding,
 * terms and zone were frozen at issue), so a re-render gives the same HTML and the same PDF
 * bytes whatever the settings have become since.
 */
export function renderInputOf(s: InvoiceSnapshot): InvoiceViewInput {
  return {
    document: s.document,
    currency: s.currency,
    timezone: s.timezone,
    number: s.number,
    seller: s.seller,
    buyer: s.buyer,
    paymentTermsDays: s.paymentTermsDays,
    branding: s.branding,
    notes: s.notes,
  };
}

/** The file a PDF is kept in, under the store: YYYY/MM/<number>.pdf by the local issue date. */
export function pdfRelativePath(issueDate: string, number: string): string {
  const [y, m] = issueDate.split('-');
  const safe = number.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${y}/${m}/${safe}.pdf`;
}
