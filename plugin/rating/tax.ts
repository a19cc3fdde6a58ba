import { Dec, roundToInteger, type RoundingRule } from '../common/money.js';

/**
 * Tax (pure). Rules:
 * - An account has one tax rate (a name and a percentage, e.g. VAT 19) or an exemption with its
 *   reason, which the invoice prints; an exempt invoice carries no tax.
 * - Each line is priced tax-exclusive (its amount is net) or tax-inclusive (its amount is gross),
 *   as its tariff or item says.
 * - Mode `line` (the default): tax is computed on each line's rounded amount and rounded once per
 *   line: exclusive tax = round(net x rate); inclusive net = round(gross / (1 + rate)) and tax =
 *   gross - net. The invoice's tax is the sum of the lines' taxes.
 * - Mode `total`: tax is computed once per rate on the sum of the rounded line amounts (exclusive
 *   lines and inclusive lines each summed, then taxed as above); lines carry no tax of their own.
 * - Totals: net + tax = total, and the tax summary (per rate) adds up to the totals exactly.
 * - A discount line (`reduces`: the offset back to the line it reduces, priced the same way) is
 *   taxed so that the pair is taxed on its net amount: in `line` mode the discount's tax is the
 *   tax of (line + discounts so far) minus the tax of (line + the discounts before it). On a
 *   tax-inclusive line the discount is tax-inclusive too: it lowers the gross, and the net and
 *   tax of the lowered gross are split again by the same rule. In `total` mode discounts simply
 *   count in their own sum (exclusive or inclusive), which is the net again.
 */

export type AccountTax = { kind: 'rate'; name: string; percent: Dec } | { kind: 'exempt'; reason: string };
export const TAX_MODES = ['line', 'total'] as const;
export type TaxMode = (typeof TAX_MODES)[number];

export interface PricedAmount {
  amountMinor: bigint;
  taxInclusive: boolean;
  /** A discount: the line it reduces, as a negative offset from this one. */
  reduces?: number;
}

export interface LineTax {
  netMinor: bigint | null;
  /** null in `total` mode, where tax belongs to the invoice, not to its lines. */
  taxMinor: bigint | null;
  grossMinor: bigint | null;
}

export interface TaxSummaryRow {
  name: string;
  /** Percentage as text ("19"), or null for an exemption. */
  percent: string | null;
  exemptReason: string | null;
  netMinor: bigint;
  taxMinor: bigint;
  grossMinor: bigint;
}

export interface TaxedInvoice {
  lines: LineTax[];
  taxes: TaxSummaryRow[];
  totals: { netMinor: bigint; taxMinor: bigint; totalMinor: bigint };
}

interface Split {
  net: bigint;
  tax: bigint;
  gross: bigint;
}

/** Minor units in, minor units out: amounts are already rounded to the currency's exponent. */
function split(amount: bigint, inclusive: boolean, percent: Dec, rule: RoundingRule): Split {
  const a = new Dec(amount.toString());
  if (inclusive) {
    const net = roundToInteger(a.times(100).div(new Dec(100).plus(percent)), rule);
    return { net, tax: amount - net, gross: amount };
  }
  const tax = roundToInteger(a.times(percent).div(100), rule);
  return { net: amount, tax, gross: amount + tax };
}

export function taxInvoice(lines: PricedAmount[], tax: AccountTax, mode: TaxMode, rule: RoundingRule = 'half-up'): TaxedInvoice {
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  if (tax.kind === 'exempt') {
    const total = sum(lines.map((l) => l.amountMinor));
    return {
      lines: lines.map((l) => ({ netMinor: l.amountMinor, taxMinor: mode === 'line' ? 0n : null, grossMinor: l.amountMinor })),
      taxes: [{ name: 'exempt', percent: null, exemptReason: tax.reason, netMinor: total, taxMinor: 0n, grossMinor: total }],
      totals: { netMinor: total, taxMinor: 0n, totalMinor: total },
    };
  }
  let parts: Split[];
  let lineTaxes: LineTax[];
  if (mode === 'line') {
    const splits = lines.map((l) => split(l.amountMinor, l.taxInclusive, tax.percent, rule));
    const running = new Map<number, bigint>();
    lines.forEach((l, i) => {
      if (l.reduces === undefined) return;
      const k = i + l.reduces;
      const base = lines[k];
      if (!Number.isInteger(k) || k < 0 || k >= i || !base || base.reduces !== undefined || base.taxInclusive !== l.taxInclusive) return;
      const before = running.get(k) ?? base.amountMinor;
      const after = before + l.amountMinor;
      running.set(k, after);
      const a = split(before, l.taxInclusive, tax.percent, rule);
      const b = split(after, l.taxInclusive, tax.percent, rule);
      splits[i] = { net: b.net - a.net, tax: b.tax - a.tax, gross: b.gross - a.gross };
    });
    lineTaxes = splits.map((s) => ({ netMinor: s.net, taxMinor: s.tax, grossMinor: s.gross }));
    parts = splits;
  } else {
    const exclusive = sum(lines.filter((l) => !l.taxInclusive).map((l) => l.amountMinor));
    const inclusive = sum(lines.filter((l) => l.taxInclusive).map((l) => l.amountMinor));
    parts = [split(exclusive, false, tax.percent, rule), split(inclusive, true, tax.percent, rule)];
    lineTaxes = lines.map((l) => ({ netMinor: l.taxInclusive ? null : l.amountMinor, taxMinor: null, grossMinor: l.taxInclusive ? l.amountMinor : null }));
  }
  const netMinor = sum(parts.map((p) => p.net));
  const taxMinor = sum(parts.map((p) => p.tax));
  const totalMinor = sum(parts.map((p) => p.gross));
  return {
    lines: lineTaxes,
    taxes: [{ name: tax.name, percent: tax.percent.toFixed(), exemptReason: null, netMinor, taxMinor, grossMinor: totalMinor }],
    totals: { netMinor, taxMinor, totalMinor },
  };
}
