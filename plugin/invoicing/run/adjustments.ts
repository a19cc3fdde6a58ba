import { DateTime } from 'luxon';
import type { Transaction } from 'sequelize';
import { formatBytes } from '../../common/bytes.js';
import { Dec, fromMinor } from '../../common/money.js';
import { cycleFor, discountOn, lateUsageDiscountMinor, periodAt, pricedOf, taxInvoice, type RatedLine, type UsageRow } from '../../rating/index.js';
import type { BilledUsageRow } from '../invoices.repository.js';
import { rateAccount, usageWindow, type AccountDocument, type AccountIn, type RunRules } from './account-rating.js';

/**
 * Late usage: bytes that reached a usage window after the invoice that billed it was issued (or
 * left it). Rules:
 * - The window is re-rated, with the tariff version and the allowance it was billed with, on the
 *   usage it has now; the adjustment is the new amount minus everything charged for that window
 *   so far (its usage line, and earlier adjustments, minus credits). A tier crossed by late bytes
 *   is therefore priced as the tier, not at an average.
 * - It goes on the next invoice as a dated line (the window's dates) when it costs more, on the
 *   credit note when it costs less; a change that costs nothing (an allowance not used up, a
 *   flat tariff) is still printed, at 0, so the bytes are accounted for.
 * - Each adjustment is carried once: usage marks it with the invoice that carries it, in the
 *   issuing transaction.
 * - Discounts follow: the re-rated window's discount (of its usage line) minus the discounts
 *   issued against the window so far is a discount line right after the adjustment, reducing it
 *   (held between 0 and the adjustment: see rating/late-discount.ts). On a credit note the same
 *   rule runs the other way: the discount no longer earned is a negative line after the credit,
 *   so the customer gets back the late change net of its discount, never the gross.
 */
export interface PendingAdjustment {
  id: string;
  serviceId: number;
  period: { fromMs: number; toMs: number };
  download: bigint;
  upload: bigint;
}

export interface AdjustmentDeps {
  invoices: { billedWindow(serviceId: number, fromMs: number, toMs: number, t?: Transaction): Promise<{ periodKey: string; chargedMinor: bigint; discountMinor: bigint } | null> };
  usage: { usageRows(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Map<number, UsageRow[]>> };
  tariffs: { topUpsFor(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Array<{ serviceId: number; code: string; atMs: number }>> };
}

type Extra = Array<{ serviceId: number | null; line: RatedLine }>;

export async function adjustmentLines(pending: PendingAdjustment[], input: AccountIn, rules: RunRules, deps: AdjustmentDeps, t: Transaction): Promise<{ invoiceLines: Extra; creditLines: Extra; usage: BilledUsageRow[]; ids: string[] }> {
  const groups = new Map<string, PendingAdjustment[]>();
  for (const a of pending) {
    const k = `${a.serviceId}:${a.period.fromMs}:${a.period.toMs}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  const invoiceLines: Extra = [];
  const creditLines: Extra = [];
  const usage: BilledUsageRow[] = [];
  const ids: string[] = [];
  for (const list of groups.values()) {
    const { serviceId, period } = list[0]!;
    const service = input.services.find((s) => s.id === serviceId);
    if (!service) continue;
    const download = list.reduce((a, x) => a + x.download, 0n);
    const upload = list.reduce((a, x) => a + x.upload, 0n);
    ids.push(...list.map((x) => x.id));
    usage.push({ serviceId, fromMs: period.fromMs, toMs: period.toMs, kind: 'adjustment', download, upload });
    let delta = 0n;
    let tariff: RatedLine['tariff'] = null;
    let taxInclusive = false;
    let reratedDiscount = 0n;
    let discountWording: { text: string; of: string } | null = null;
    const billed = await deps.invoices.billedWindow(serviceId, period.fromMs, period.toMs, t);
    if (billed) {
      const oldT = DateTime.fromISO(billed.periodKey, { zone: rules.timezone }).toMillis();
      const w = usageWindow(service, oldT, rules);
      if (w && w.fromMs < oldT) {
        const [rows, topUps] = await Promise.all([deps.usage.usageRows([serviceId], w.fromMs, oldT, t), deps.tariffs.topUpsFor([serviceId], Math.min(w.fromMs, w.previousDateMs), oldT + 1, t)]);
        const again = rateAccount({ ...input, services: [service], charges: [], topUps, usage: rows }, oldT, rules);
        const lines = again.invoice?.document.lines ?? [];
        const at = lines.findIndex((l, i) => l.kind === 'usage' && again.invoice!.lineServices[i] === serviceId && l.fromMs === period.fromMs && l.toMs === period.toMs);
        const line = lines[at];
        if (line) {
          delta = line.amountMinor - billed.chargedMinor;
          tariff = line.tariff;
          taxInclusive = line.taxInclusive;
          reratedDiscount = discountOn(lines, at);
          const named = lines.find((d, j) => d.kind === 'discount' && d.reduces !== undefined && j + d.reduces === at);
          if (named) discountWording = { text: named.description, of: line.description };
        }
      }
    }
    const bytes = download + upload;
    const span = `${DateTime.fromMillis(period.fromMs, { zone: rules.timezone }).toISODate()} – ${DateTime.fromMillis(period.toMs - 1, { zone: rules.timezone }).toISODate()}`;
    const moved = bytes >= 0n ? `${formatBytes(bytes)} reported late` : `${formatBytes(-bytes)} moved away`;
    const amount = delta < 0n ? -delta : delta;
    const line: RatedLine = {
      kind: 'adjustment',
      description: `${service.login}: usage adjustment for ${span} (${moved})`,
      tariff,
      fromMs: period.fromMs,
      toMs: period.toMs,
      quantity: new Dec(1),
      unit: 'adjustment',
      unitPrice: null,
      preciseAmount: fromMinor(amount, input.currency),
      amountMinor: amount,
      taxInclusive,
      details: [],
    };
    const target = delta < 0n ? creditLines : invoiceLines;
    target.push({ serviceId, line });
    // More usage earns more discount (reducing the adjustment); less usage takes back discount no longer earned (reducing the credit).
    const issuedDiscount = billed?.discountMinor ?? 0n;
    const off = delta < 0n ? lateUsageDiscountMinor({ reratedDiscountMinor: issuedDiscount, issuedDiscountMinor: reratedDiscount, adjustmentMinor: amount }) : lateUsageDiscountMinor({ reratedDiscountMinor: reratedDiscount, issuedDiscountMinor: issuedDiscount, adjustmentMinor: amount });
    if (off > 0n) target.push({ serviceId, line: adjustmentDiscountLine(line, off, input.currency, service.login, delta < 0n, discountWording) });
  }
  return { invoiceLines, creditLines, usage, ids };
}

function adjustmentDiscountLine(adjustment: RatedLine, off: bigint, currency: string, login: string, onCredit: boolean, wording: { text: string; of: string } | null): RatedLine {
  // "alice: Discount X (10%) on Usage ..." of "alice: Usage ..." names the discount; it goes on the adjustment as "alice: Discount X (10%) on usage adjustment ...".
  const bare = (x: string) => (x.startsWith(`${login}: `) ? x.slice(login.length + 2) : x);
  const named = wording && bare(wording.text).endsWith(` on ${bare(wording.of)}`) ? bare(wording.text).slice(0, -bare(wording.of).length - 4) : 'Discount';
  const description = `${login}: ${named} ${onCredit ? 'no longer earned on' : 'on'} ${bare(adjustment.description)}`;
  return {
    kind: 'discount',
    description,
    tariff: adjustment.tariff,
    fromMs: adjustment.fromMs,
    toMs: adjustment.toMs,
    quantity: new Dec(1),
    unit: 'discount',
    unitPrice: null,
    preciseAmount: fromMinor(-off, currency),
    amountMinor: -off,
    taxInclusive: adjustment.taxInclusive,
    details: [],
    reduces: -1,
  };
}

/** A document with lines added (or made of them alone), tax computed again over all of its lines. */
export function mergeExtra(d: AccountDocument | null, extra: Extra, type: 'invoice' | 'credit_note', T: number, a: Pick<AccountIn, 'tax'>, rules: RunRules): AccountDocument {
  const lines = [...(d?.document.lines ?? []), ...extra.map((e) => e.line)];
  const lineServices = [...(d?.lineServices ?? []), ...extra.map((e) => e.serviceId)];
  const period = d?.document.period ?? periodAt(T, cycleFor(rules.cycle, rules.timezone, T));
  const taxed = taxInvoice(lines.map(pricedOf), a.tax, rules.taxMode, rules.rounding);
  return { document: { type, issuedAtMs: T, period, lines, lineTaxes: taxed.lines, usage: d?.document.usage ?? [], taxes: taxed.taxes, totals: taxed.totals }, lineServices };
}
