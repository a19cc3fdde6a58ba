import { divRound } from '../../common/money.js';
import type { DocumentType } from '../invoice.js';

/**
 * Revenue reports as pure functions of grouped rows (the repository does the SQL grouping).
 * Rules:
 * - Amounts are integer minor units per currency; currencies are never added together.
 * - A credit note counts against revenue: its amounts are subtracted with the sign they were
 *   stored with, as the account statement does (a credit note stores what it credits as positive;
 *   the discount it takes back is negative, so a credit note of a discount alone adds revenue back).
 * - Discount lines are their own group, so gross charges, discounts and net can be read apart.
 * - Drafts are not revenue (the repository reads issued documents only); a voided invoice stays
 *   in its month and the credit note that voided it takes it back out.
 * - "Paid" revenue needs payments, which come in the next issue: nothing here reads paid_at.
 */

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

export interface RevenueGroupRow {
  /** YYYY-MM of the issue date (local). */
  month: string;
  currency: string;
  type: DocumentType;
  documents: number;
  netMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
}

export interface RevenueMonth {
  month: string;
  currency: string;
  invoices: number;
  creditNotes: number;
  netMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
  creditedTotalMinor: bigint;
}

/** Invoiced net, tax and total per month of issue and currency, credit notes subtracted. */
export function revenueByMonth(rows: readonly RevenueGroupRow[]): RevenueMonth[] {
  const out = new Map<string, RevenueMonth>();
  for (const r of rows) {
    const key = `${r.currency}|${r.month}`;
    const m = out.get(key) ?? { month: r.month, currency: r.currency, invoices: 0, creditNotes: 0, netMinor: 0n, taxMinor: 0n, totalMinor: 0n, creditedTotalMinor: 0n };
    const sign = r.type === 'credit_note' ? -1n : 1n;
    m.netMinor += sign * r.netMinor;
    m.taxMinor += sign * r.taxMinor;
    m.totalMinor += sign * r.totalMinor;
    if (r.type === 'credit_note') {
      m.creditNotes += r.documents;
      m.creditedTotalMinor += r.totalMinor;
    } else m.invoices += r.documents;
    out.set(key, m);
  }
  return [...out.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.month.localeCompare(b.month));
}

export interface CustomerGroupRow {
  accountId: number;
  currency: string;
  invoicedMinor: bigint;
  creditedMinor: bigint;
}

export interface CustomerRevenue {
  accountId: number;
  currency: string;
  invoicedMinor: bigint;
  creditedMinor: bigint;
  netMinor: bigint;
}

/** The top `limit` accounts per currency by invoiced total minus credits (ties: lower account id first). */
export function topCustomers(rows: readonly CustomerGroupRow[], limit: number): CustomerRevenue[] {
  const all = rows.map((r) => ({ ...r, netMinor: r.invoicedMinor - r.creditedMinor }));
  const byCurrency = new Map<string, CustomerRevenue[]>();
  for (const r of all) byCurrency.set(r.currency, [...(byCurrency.get(r.currency) ?? []), r]);
  return [...byCurrency.keys()].sort().flatMap((c) =>
    byCurrency
      .get(c)!
      .sort((a, b) => (a.netMinor === b.netMinor ? a.accountId - b.accountId : a.netMinor > b.netMinor ? -1 : 1))
      .slice(0, limit),
  );
}

/** How line kinds are reported; anything rating adds later that is not named here is an adjustment. */
export const KIND_GROUPS = [
  { key: 'recurring', label: 'Recurring fees' },
  { key: 'usage', label: 'Usage' },
  { key: 'top_up', label: 'Top-ups' },
  { key: 'items', label: 'Extra items' },
  { key: 'adjustment', label: 'Adjustments' },
  { key: 'discounts', label: 'Discounts' },
  { key: 'credits', label: 'Credits' },
] as const;
export type KindGroup = (typeof KIND_GROUPS)[number]['key'];

const GROUP_OF_KIND: Record<string, KindGroup> = { recurring_fee: 'recurring', usage: 'usage', top_up: 'top_up', recurring_item: 'items', one_off: 'items', discount: 'discounts' };

export function kindGroupOf(kind: string, type: DocumentType): KindGroup {
  if (type === 'credit_note') return 'credits';
  return GROUP_OF_KIND[kind] ?? 'adjustment';
}

export interface KindGroupRow {
  currency: string;
  type: DocumentType;
  kind: string;
  amountMinor: bigint;
}

export interface KindRevenue {
  currency: string;
  groups: Array<{ key: KindGroup; label: string; amountMinor: bigint }>;
  totalMinor: bigint;
}

/** Line amounts per kind of charge and currency; every kind group is listed (zero when empty), credits negative. */
export function revenueByKind(rows: readonly KindGroupRow[]): KindRevenue[] {
  const out = new Map<string, Map<KindGroup, bigint>>();
  for (const r of rows) {
    const group = kindGroupOf(r.kind, r.type);
    const amounts = out.get(r.currency) ?? new Map<KindGroup, bigint>();
    const amount = group === 'credits' ? -r.amountMinor : r.amountMinor;
    amounts.set(group, (amounts.get(group) ?? 0n) + amount);
    out.set(r.currency, amounts);
  }
  return [...out.keys()].sort().map((currency) => {
    const amounts = out.get(currency)!;
    const groups = KIND_GROUPS.map((g) => ({ key: g.key, label: g.label, amountMinor: amounts.get(g.key) ?? 0n }));
    return { currency, groups, totalMinor: groups.reduce((s, g) => s + g.amountMinor, 0n) };
  });
}

export interface TariffAmountRow {
  periodKey: string;
  currency: string;
  code: string;
  version: number;
  lines: number;
  amountMinor: bigint;
}

export interface TariffBytesRow {
  periodKey: string;
  code: string;
  version: number;
  download: bigint;
  upload: bigint;
}

export interface TariffUsage {
  periodKey: string;
  tariff: string;
  code: string;
  version: number;
  currency: string;
  lines: number;
  download: bigint;
  upload: bigint;
  amountMinor: bigint;
}

/** Usage billed per tariff version and period: bytes on the invoices' usage windows, amount of their usage lines. */
export function usageByTariff(amounts: readonly TariffAmountRow[], bytes: readonly TariffBytesRow[]): TariffUsage[] {
  const key = (p: string, c: string, v: number) => `${p}|${c}|${v}`;
  const bytesOf = new Map<string, { download: bigint; upload: bigint }>();
  for (const b of bytes) {
    const k = key(b.periodKey, b.code, b.version);
    const cur = bytesOf.get(k) ?? { download: 0n, upload: 0n };
    bytesOf.set(k, { download: cur.download + b.download, upload: cur.upload + b.upload });
  }
  return amounts
    .map((a) => {
      const b = bytesOf.get(key(a.periodKey, a.code, a.version)) ?? { download: 0n, upload: 0n };
      return { periodKey: a.periodKey, tariff: `${a.code} v${a.version}`, code: a.code, version: a.version, currency: a.currency, lines: a.lines, download: b.download, upload: b.upload, amountMinor: a.amountMinor };
    })
    .sort((x, y) => x.periodKey.localeCompare(y.periodKey) || x.code.localeCompare(y.code) || x.version - y.version || x.currency.localeCompare(y.currency));
}

export interface PeriodTotalRow {
  periodKey: string;
  currency: string;
  type: DocumentType;
  totalMinor: bigint;
}

export interface PeriodComparison {
  currency: string;
  currentMinor: bigint;
  previousMinor: bigint;
  changeMinor: bigint;
  /** "+12.5%", "-3.0%"; null when the last period had nothing to compare with. */
  changePercent: string | null;
}

/** This period's invoiced total (credit notes subtracted) against the last one's, per currency. */
export function comparePeriods(rows: readonly PeriodTotalRow[], currentKey: string, previousKey: string): PeriodComparison[] {
  const totals = new Map<string, { cur: bigint; prev: bigint }>();
  for (const r of rows) {
    if (r.periodKey !== currentKey && r.periodKey !== previousKey) continue;
    const t = totals.get(r.currency) ?? { cur: 0n, prev: 0n };
    const v = r.type === 'credit_note' ? -r.totalMinor : r.totalMinor;
    if (r.periodKey === currentKey) t.cur += v;
    else t.prev += v;
    totals.set(r.currency, t);
  }
  return [...totals.keys()].sort().map((currency) => {
    const { cur, prev } = totals.get(currency)!;
    return { currency, currentMinor: cur, previousMinor: prev, changeMinor: cur - prev, changePercent: percentChange(cur, prev) };
  });
}

/** (current - previous) / previous as a percentage with one decimal, rounded half-up, in integers. */
export function percentChange(current: bigint, previous: bigint): string | null {
  if (previous <= 0n) return null;
  const tenths = divRound((current - previous) * 1000n, previous);
  const sign = tenths < 0n ? '-' : '+';
  const a = abs(tenths);
  return `${sign}${a / 10n}.${a % 10n}%`;
}
