import { ConflictError } from '../common/errors.js';

/**
 * An invoice's (or credit note's) life, as explicit rules:
 * - draft -> issued -> sent, then paid or void. An issued document never changes: only its
 *   status moves forward (and the instants that go with it). A correction is a credit note,
 *   numbered in its own series, that names the invoice it corrects.
 * - A draft has no number; the number is taken when it is issued, from the series' counter row,
 *   in the issuing transaction (numbers without gaps).
 * - Void: an issued or sent invoice is voided only together with a credit note for its full
 *   amount (the tax office sees both); a paid one first needs its payment refunded (payments).
 */
export const INVOICE_STATUSES = ['draft', 'issued', 'sent', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export type DocumentType = 'invoice' | 'credit_note';

const NEXT: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  draft: ['issued', 'void'],
  issued: ['sent', 'paid', 'void'],
  sent: ['paid', 'void'],
  paid: [],
  void: [],
};

export function canMove(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return NEXT[from].includes(to);
}

export function assertMove(number: string | null, from: InvoiceStatus, to: InvoiceStatus): void {
  if (!canMove(from, to)) throw new ConflictError(`invoice ${number ?? '(draft)'} is ${from}: it cannot become ${to}`);
}

/** The series a document type is numbered in, and how its numbers print. */
export const SERIES: Record<DocumentType, { series: string; prefix: string }> = {
  invoice: { series: 'invoice', prefix: 'INV-' },
  credit_note: { series: 'credit_note', prefix: 'CN-' },
};

/** INV-000042: zero-padded to six digits, longer when the series grows past them. */
export function formatNumber(type: DocumentType, sequence: bigint | number): string {
  return `${SERIES[type].prefix}${String(sequence).padStart(6, '0')}`;
}

/** One invoice (and at most one credit note) per account and period from billing runs, whatever happens. */
export function runKey(type: DocumentType, accountId: number, periodKey: string): string {
  return `run:${type}:${accountId}:${periodKey}`;
}
