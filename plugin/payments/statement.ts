/**
 * An account's statement: every document and money movement in order, with the running
 * balance (positive: the customer owes; negative: the ISP holds credit). Pure.
 *
 * Invoices add their total, credit notes and payments take away, refunds add back. A voided
 * invoice stays on the statement together with the credit note that voided it: they net to zero,
 * as the tax office sees them.
 */
export type StatementKind = 'invoice' | 'credit_note' | 'payment' | 'refund';

export interface StatementEvent {
  kind: StatementKind;
  atMs: number;
  /** Tie-break within one instant: documents before the payments that pay them. */
  id: string;
  reference: string;
  amountMinor: bigint;
}

export interface StatementLine extends StatementEvent {
  /** What this line changes the balance by. */
  signedMinor: bigint;
  balanceMinor: bigint;
}

const SIGN: Record<StatementKind, bigint> = { invoice: 1n, credit_note: -1n, payment: -1n, refund: 1n };
const ORDER: Record<StatementKind, number> = { invoice: 0, credit_note: 1, payment: 2, refund: 3 };

export function statementLines(events: readonly StatementEvent[]): StatementLine[] {
  const ordered = [...events].sort((a, b) => a.atMs - b.atMs || ORDER[a.kind] - ORDER[b.kind] || (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  let balance = 0n;
  return ordered.map((e) => {
    const signedMinor = SIGN[e.kind] * e.amountMinor;
    balance += signedMinor;
    return { ...e, signedMinor, balanceMinor: balance };
  });
}

export interface BalanceTotals {
  invoicedMinor: bigint;
  creditedMinor: bigint;
  paidMinor: bigint;
  refundedMinor: bigint;
  /** invoiced - credited - paid + refunded */
  balanceMinor: bigint;
}

export function balanceOf(events: readonly StatementEvent[]): BalanceTotals {
  const sum = (k: StatementKind) => events.filter((e) => e.kind === k).reduce((s, e) => s + e.amountMinor, 0n);
  const t = { invoicedMinor: sum('invoice'), creditedMinor: sum('credit_note'), paidMinor: sum('payment'), refundedMinor: sum('refund') };
  return { ...t, balanceMinor: t.invoicedMinor - t.creditedMinor - t.paidMinor + t.refundedMinor };
}
