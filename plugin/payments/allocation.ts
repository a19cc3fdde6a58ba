/**
 * How a payment (or an account's credit) is spread over open invoices. Pure.
 *
 * Rules:
 * - Oldest first: by due date, then by number (INV-000009 before INV-000010, and before the
 *   seven-digit numbers a long-lived series grows into).
 * - `allocateTo` names an invoice that is paid first; what is left goes oldest first to the rest.
 * - Never more than the money, never more than an invoice's outstanding amount; what no invoice
 *   takes is the remainder (the account's credit). Money is conserved to the minor unit:
 *   sum(allocations) + remainder = amount.
 */
export interface OpenInvoice {
  invoiceId: string;
  number: string;
  dueDate: string;
  outstandingMinor: bigint;
}

export interface Allocation {
  invoiceId: string;
  amountMinor: bigint;
}

/** Compares document numbers as their series prints them: a longer number is a later one. */
function compareNumbers(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function oldestFirst<T extends Pick<OpenInvoice, 'dueDate' | 'number'>>(invoices: readonly T[]): T[] {
  return [...invoices].sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : compareNumbers(a.number, b.number)));
}

export function allocate(amountMinor: bigint, open: readonly OpenInvoice[], allocateTo?: string): { allocations: Allocation[]; remainderMinor: bigint } {
  if (amountMinor < 0n) throw new RangeError('an allocation spreads a positive amount');
  const ordered = oldestFirst(open.filter((i) => i.outstandingMinor > 0n));
  const chosen = allocateTo === undefined ? -1 : ordered.findIndex((i) => i.invoiceId === allocateTo);
  if (chosen > 0) ordered.unshift(...ordered.splice(chosen, 1));
  let left = amountMinor;
  const allocations: Allocation[] = [];
  for (const inv of ordered) {
    if (left === 0n) break;
    const take = inv.outstandingMinor < left ? inv.outstandingMinor : left;
    allocations.push({ invoiceId: inv.invoiceId, amountMinor: take });
    left -= take;
  }
  return { allocations, remainderMinor: left };
}

/**
 * Several sums of money (an account's credit from earlier payments, then a new payment) spread
 * in order over the same open invoices: each takes what the ones before it left.
 */
export function allocateMany(
  sources: ReadonlyArray<{ sourceId: string; amountMinor: bigint; allocateTo?: string }>,
  open: readonly OpenInvoice[],
): { allocations: Array<Allocation & { sourceId: string }>; remainders: Map<string, bigint>; outstanding: Map<string, bigint> } {
  const outstanding = new Map(open.map((i) => [i.invoiceId, i.outstandingMinor]));
  const allocations: Array<Allocation & { sourceId: string }> = [];
  const remainders = new Map<string, bigint>();
  for (const s of sources) {
    const now = open.map((i) => ({ ...i, outstandingMinor: outstanding.get(i.invoiceId)! }));
    const r = allocate(s.amountMinor, now, s.allocateTo);
    for (const a of r.allocations) {
      allocations.push({ ...a, sourceId: s.sourceId });
      outstanding.set(a.invoiceId, outstanding.get(a.invoiceId)! - a.amountMinor);
    }
    remainders.set(s.sourceId, r.remainderMinor);
  }
  return { allocations, remainders, outstanding };
}
