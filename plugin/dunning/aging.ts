import { daysBetween, type AccountOutstanding } from './policy.js';

/** Accounts-receivable aging (pure): open amounts by days past their due date, per currency. */
export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', 'over 90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

export function bucketOf(daysPastDue: number): AgingBucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return '1-30';
  if (daysPastDue <= 60) return '31-60';
  if (daysPastDue <= 90) return '61-90';
  return 'over 90';
}

export interface AgingRow {
  accountId: number;
  name: string;
  currency: string;
  buckets: Record<AgingBucket, bigint>;
  totalMinor: bigint;
}

/**
 * One row per account that owes something. Overdue invoices go to their bucket; what is open but
 * not overdue (openMinor minus the overdue invoices) is current.
 */
export function agingRows(outstanding: Map<number, AccountOutstanding>, names: Map<number, string>, today: string): AgingRow[] {
  const rows: AgingRow[] = [];
  for (const [accountId, o] of outstanding) {
    if (o.openMinor <= 0n) continue;
    const buckets = Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0n])) as Record<AgingBucket, bigint>;
    let overdue = 0n;
    for (const i of o.overdueInvoices) {
      buckets[bucketOf(daysBetween(i.dueDate, today))] += i.outstandingMinor;
      overdue += i.outstandingMinor;
    }
    if (o.openMinor > overdue) buckets.current += o.openMinor - overdue;
    const totalMinor = AGING_BUCKETS.reduce((s, b) => s + buckets[b], 0n);
    rows.push({ accountId, name: names.get(accountId) ?? `#${accountId}`, currency: o.currency, buckets, totalMinor });
  }
  return rows.sort((a, b) => a.currency.localeCompare(b.currency) || (b.totalMinor > a.totalMinor ? 1 : b.totalMinor < a.totalMinor ? -1 : a.accountId - b.accountId));
}

/** Totals per currency and bucket. */
export function agingTotals(rows: AgingRow[]): Array<{ currency: string; buckets: Record<AgingBucket, bigint>; totalMinor: bigint }> {
  const by = new Map<string, { currency: string; buckets: Record<AgingBucket, bigint>; totalMinor: bigint }>();
  for (const r of rows) {
    let t = by.get(r.currency);
    if (!t) by.set(r.currency, (t = { currency: r.currency, buckets: Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0n])) as Record<AgingBucket, bigint>, totalMinor: 0n }));
    for (const b of AGING_BUCKETS) t.buckets[b] += r.buckets[b];
    t.totalMinor += r.totalMinor;
  }
  return [...by.values()];
}
