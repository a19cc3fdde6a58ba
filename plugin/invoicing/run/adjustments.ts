import { DateTime } from 'luxon';
import type { Transaction } from 'sequelize';
import { formatBytes } from '../../common/bytes.js';
import { Dec } from '../../common/money.js';
import { cycleFor, periodAt, pricedOf, taxInvoice, type RatedLine, type UsageRow } from '../../rating/index.js';
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
 */
export interface PendingAdjustment {
  id: string;
  serviceId: number;
  period: { fromMs: number; toMs: number };
  download: bigint;
  upload: bigint;
}

export interface AdjustmentDeps {
  invoices: { billedWindow(serviceId: number, fromMs: number, toMs: number, t?: Transaction): Promise<{ periodKey: string; chargedMinor: bigint } | null> };
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
    const billed = await deps.invoices.billedWindow(serviceId, period.fromMs, period.toMs, t);
    if (billed) {
      const oldT = DateTime.fromISO(billed.periodKey, { zone: rules.timezone }).toMillis();
      const w = usageWindow(service, oldT, rules);
      if (w && w.previousDateMs < oldT) {
        const [rows, topUps] = await Promise.all([deps.usage.usageRows([serviceId], w.previousDateMs, oldT, t), deps.tariffs.topUpsFor([serviceId], w.previousDateMs, oldT + 1, t)]);
        const again = rateAccount({ ...input, services: [service], charges: [], topUps, usage: rows }, oldT, rules);
        const lines = again.invoice?.document.lines ?? [];
        const line = lines.find((l, i) => l.kind === 'usage' && again.invoice!.lineServices[i] === serviceId && l.fromMs === period.fromMs && l.toMs === period.toMs);
        if (line) {
          delta = line.amountMinor - billed.chargedMinor;
          tariff = line.tariff;
          taxInclusive = line.taxInclusive;
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
      preciseAmount: new Dec(amount.toString()).div(1),
      amountMinor: amount,
      taxInclusive,
      details: [],
    };
    (delta < 0n ? creditLines : invoiceLines).push({ serviceId, line });
  }
  return { invoiceLines, creditLines, usage, ids };
}

/** A document with lines added (or made of them alone), tax computed again over all of its lines. */
export function mergeExtra(d: AccountDocument | null, extra: Extra, type: 'invoice' | 'credit_note', T: number, a: Pick<AccountIn, 'tax'>, rules: RunRules): AccountDocument {
  const lines = [...(d?.document.lines ?? []), ...extra.map((e) => e.line)];
  const lineServices = [...(d?.lineServices ?? []), ...extra.map((e) => e.serviceId)];
  const period = d?.document.period ?? periodAt(T, cycleFor(rules.cycle, rules.timezone, T));
  const taxed = taxInvoice(lines.map(pricedOf), a.tax, rules.taxMode, rules.rounding);
  return { document: { type, issuedAtMs: T, period, lines, lineTaxes: taxed.lines, usage: d?.document.usage ?? [], taxes: taxed.taxes, totals: taxed.totals }, lineServices };
}
