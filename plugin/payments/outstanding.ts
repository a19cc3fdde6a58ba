import { allocate, oldestFirst } from './allocation.js';

/**
 * What an account still owes, from its documents and payments. Pure.
 *
 * - An invoice is open while it is issued or sent. Its outstanding amount is its total, less the
 *   credit notes that correct it, less what payments allocated to it; never below zero.
 * - It is overdue when its due date (the last day to pay, a local date) is before `asOfDate`.
 * - The account's credit (money received and not yet allocated, e.g. an overpayment before this
 *   invoice was issued) counts as paying the oldest open invoices first, even before the next
 *   payment or `applyCredit` writes that allocation: dunning must never chase money it holds.
 */
export interface InvoiceFacts {
  invoiceId: string;
  number: string;
  status: string;
  dueDate: string;
  totalMinor: bigint;
  creditedMinor: bigint;
  allocatedMinor: bigint;
}

export interface OverdueInvoice {
  invoiceId: string;
  number: string;
  dueDate: string;
  outstandingMinor: bigint;
}

export interface Outstanding {
  currency: string;
  openMinor: bigint;
  overdueMinor: bigint;
  oldestDueDate: string | null;
  overdueInvoices: OverdueInvoice[];
}

export const OPEN_STATUSES: readonly string[] = ['issued', 'sent'];

export function outstandingOf(i: Pick<InvoiceFacts, 'totalMinor' | 'creditedMinor' | 'allocatedMinor'>): bigint {
  const left = i.totalMinor - i.creditedMinor - i.allocatedMinor;
  return left > 0n ? left : 0n;
}

/** The open invoices with something left to pay, oldest first. */
export function openInvoices(invoices: readonly InvoiceFacts[]): OverdueInvoice[] {
  const open = invoices
    .filter((i) => OPEN_STATUSES.includes(i.status))
    .map((i) => ({ invoiceId: i.invoiceId, number: i.number, dueDate: i.dueDate, outstandingMinor: outstandingOf(i) }))
    .filter((i) => i.outstandingMinor > 0n);
  return oldestFirst(open);
}

export function summarize(currency: string, invoices: readonly InvoiceFacts[], asOfDate: string, creditMinor = 0n): Outstanding {
  const before = openInvoices(invoices);
  const covered = new Map(allocate(creditMinor > 0n ? creditMinor : 0n, before).allocations.map((a) => [a.invoiceId, a.amountMinor]));
  const open = before.map((i) => ({ ...i, outstandingMinor: i.outstandingMinor - (covered.get(i.invoiceId) ?? 0n) })).filter((i) => i.outstandingMinor > 0n);
  const overdue = open.filter((i) => i.dueDate < asOfDate);
  return {
    currency,
    openMinor: open.reduce((s, i) => s + i.outstandingMinor, 0n),
    overdueMinor: overdue.reduce((s, i) => s + i.outstandingMinor, 0n),
    oldestDueDate: open[0]?.dueDate ?? null,
    overdueInvoices: overdue,
  };
}
