import type { DocumentType, InvoiceStatus } from '../invoice.js';

/**
 * An account's balance from its documents alone (payments come in the next issue):
 * - what it owes: the totals of its invoices that are issued or sent (a paid one is settled, a
 *   void one was taken back by its credit note, a draft was never issued);
 * - minus its credit notes that are not yet refunded (issued or sent), except those that voided
 *   an invoice: that invoice is already out of the sum, so subtracting its credit note again
 *   would count the correction twice.
 * Per currency; amounts in minor units.
 */
export interface BalanceDocument {
  id: string;
  type: DocumentType;
  status: InvoiceStatus;
  currency: string;
  totalMinor: bigint;
  creditedInvoiceId: string | null;
}

export interface CurrencyBalance {
  currency: string;
  openInvoicesMinor: bigint;
  openCreditsMinor: bigint;
  balanceMinor: bigint;
}

const OPEN: readonly InvoiceStatus[] = ['issued', 'sent'];
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

export function accountBalance(docs: readonly BalanceDocument[]): CurrencyBalance[] {
  const statusOf = new Map(docs.map((d) => [d.id, d.status]));
  const out = new Map<string, CurrencyBalance>();
  const of = (currency: string) => {
    const b = out.get(currency) ?? { currency, openInvoicesMinor: 0n, openCreditsMinor: 0n, balanceMinor: 0n };
    out.set(currency, b);
    return b;
  };
  for (const d of docs) {
    if (!OPEN.includes(d.status)) continue;
    if (d.type === 'invoice') of(d.currency).openInvoicesMinor += abs(d.totalMinor);
    else if (!(d.creditedInvoiceId !== null && statusOf.get(d.creditedInvoiceId) === 'void')) of(d.currency).openCreditsMinor += abs(d.totalMinor);
  }
  for (const b of out.values()) b.balanceMinor = b.openInvoicesMinor - b.openCreditsMinor;
  return [...out.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}
