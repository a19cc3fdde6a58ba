import { DateTime } from 'luxon';
import { currencyExponent, Dec, toMinor } from '../common/money.js';
import { applyChargeModel, type ChargeDetail } from './charge-models.js';
import { cycleFor, dayOffset, localMidnight, nextPeriod, periodAt, type CycleSpec, type Period } from './periods.js';
import { proratedPart } from './proration.js';
import type { Scenario, UsageRow } from './scenario.js';
import type { Tariff } from './tariff.js';
import { taxInvoice, type LineTax, type TaxedInvoice } from './tax.js';
import { weighByBands, type BandTotal } from './time-bands.js';
import { bytesToUnits, countedBytes } from './units.js';

/**
 * The rater behind `octet rate` (pure: a scenario in, documents out). Rules:
 * - An invoice is issued at the service start, at every period start while the service runs,
 *   at every tariff change and at the service end.
 * - In advance: each invoice carries the recurring fee (and recurring items) of the period it is
 *   issued in, prorated by whole days (proration.ts) from the day the service or tariff started.
 *   A start or tariff change bills its whole day; an end bills the day it happens on.
 * - In arrears: each invoice carries the usage since the previous invoice (the period that ended,
 *   or the part of it before a tariff change or the end), rated by the tariff in effect then:
 *   bytes that count (direction), weighed by time bands, as units; the included allowance,
 *   prorated by the same days as the fee, plus the top-ups bought in that window, is free; the
 *   charge model prices the rest. Top-ups are charged with the usage of their window.
 * - A usage bucket belongs to the window that holds its start (in Asia/Kolkata the UTC hour
 *   18:00-19:00 straddles local midnight and counts in the day it starts in, as usage/ keeps it).
 * - One-off items go on the first invoice issued at or after their instant.
 * - When a prepaid period is cut short, a credit note credits the unused days: at the service
 *   end or the tariff change itself, and for a recurring item that ends on its own, on the next
 *   invoice date. What was charged = what was used + the credit, exactly.
 * - Every line is rounded once (half-up unless the scenario names another rule); tax follows
 *   tax.ts. Usage rows are summed per bucket first, so their order never matters.
 * - No byte is silently dropped: usage outside the service, or not yet invoiced, is counted in
 *   `unbilled`.
 */

export type LineKind = 'recurring_fee' | 'recurring_item' | 'one_off' | 'usage' | 'top_up' | 'adjustment';

export interface RatedLine {
  kind: LineKind;
  description: string;
  tariff: { code: string; version: number } | null;
  fromMs: number;
  toMs: number;
  quantity: Dec;
  unit: string;
  unitPrice: Dec | null;
  preciseAmount: Dec;
  amountMinor: bigint;
  taxInclusive: boolean;
  details: ChargeDetail[];
}

export interface UsageSummary {
  fromMs: number;
  toMs: number;
  tariff: { code: string; version: number };
  downloadBytes: bigint;
  uploadBytes: bigint;
  countedBytes: bigint;
  byBand: BandTotal[];
  unit: string;
  units: Dec;
  includedUnits: Dec;
  topUpUnits: Dec;
  /** Units above the allowance and top-ups (what the charge model was given). */
  chargedUnits: Dec;
  /** The charge model's own free units (package), 0 otherwise; absent in documents issued before it existed. */
  modelFreeUnits?: Dec;
  /** Whether the tariff charges usage at all (false: a flat tariff; its usage is only reported). */
  usageCharged?: boolean;
  fairUse: { capUnits: Dec; throttleRate: string; crossedAtMs: number | null } | null;
}

export interface RatedDocument {
  type: 'invoice' | 'credit_note';
  issuedAtMs: number;
  period: Period;
  lines: RatedLine[];
  lineTaxes: LineTax[];
  usage: UsageSummary[];
  taxes: TaxedInvoice['taxes'];
  totals: TaxedInvoice['totals'];
}

export interface RatingResult {
  currency: string;
  exponent: number;
  documents: RatedDocument[];
  /** Bytes (download + upload) on no invoice of the span asked for, by reason. */
  unbilled: { beforeStart: bigint; afterEnd: bigint; onEarlierInvoices: bigint; awaitingNextInvoice: bigint };
}

interface Recurring {
  key: string;
  kind: 'recurring_fee' | 'recurring_item';
  description: string;
  tariff: { code: string; version: number } | null;
  fee: Dec;
  taxInclusive: boolean;
  startMs: number;
  endMs: number | null;
  endMode: 'floor' | 'ceil';
}

interface Billed {
  minor: bigint;
  fromDay: number;
  toDay: number;
}

const ref = (t: Tariff) => ({ code: t.code, version: t.version });

function recurringCharges(s: Scenario): Recurring[] {
  const out: Recurring[] = s.plan.map((p, i) => {
    const next = s.plan[i + 1];
    return {
      key: `fee:${i}`,
      kind: 'recurring_fee' as const,
      description: `${p.tariff.name} (${p.tariff.code} v${p.tariff.version})`,
      tariff: ref(p.tariff),
      fee: p.tariff.recurringFee,
      taxInclusive: p.tariff.taxInclusive,
      startMs: Math.max(p.fromMs, s.startMs),
      endMs: next ? next.fromMs : s.endMs,
      endMode: next ? ('floor' as const) : ('ceil' as const),
    };
  });
  s.items.forEach((it, i) => {
    if (!it.recurring) return;
    const end = it.toMs === null ? s.endMs : s.endMs === null ? it.toMs : Math.min(it.toMs, s.endMs);
    out.push({ key: `item:${i}`, kind: 'recurring_item', description: it.description, tariff: null, fee: it.price, taxInclusive: it.taxInclusive, startMs: Math.max(it.fromMs ?? s.startMs, s.startMs), endMs: end, endMode: 'ceil' });
  });
  return out;
}

/** Issue instants with what happens at each, up to (not including) the end of the span asked for. */
function billingEvents(s: Scenario, spec: CycleSpec): Array<{ ms: number; end: boolean }> {
  const limit = Math.min(s.invoicesToMs, s.endMs === null ? Infinity : s.endMs + 1);
  const at = new Map<number, boolean>([[s.startMs, false]]);
  for (let p = periodAt(s.startMs, spec); p.toMs < limit; p = nextPeriod(p, spec)) at.set(p.toMs, false);
  for (const p of s.plan) if (p.fromMs > s.startMs && p.fromMs < limit) at.set(p.fromMs, false);
  if (s.endMs !== null && s.endMs < s.invoicesToMs) at.set(s.endMs, true);
  return [...at.entries()].map(([ms, end]) => ({ ms, end })).sort((a, b) => a.ms - b.ms);
}

function dayStart(period: Period, day: number, timezone: string): number {
  return localMidnight(DateTime.fromISO(period.fromDate, { zone: 'UTC' }).plus({ days: day }).toISODate()!, timezone);
}

export function rateScenario(s: Scenario): RatingResult {
  const spec = cycleFor(s.cycle, s.timezone, s.startMs);
  const tz = s.timezone;
  const buckets = sumBuckets(s.usage);
  const events = billingEvents(s, spec);
  const charges = recurringCharges(s);
  const billed = new Map<string, Billed>();
  const documents: RatedDocument[] = [];
  const unbilled = { beforeStart: 0n, afterEnd: 0n, onEarlierInvoices: 0n, awaitingNextInvoice: 0n };
  const total = (r: UsageRow) => r.download + r.upload;

  for (const [i, ev] of events.entries()) {
    const T = ev.ms;
    const period = periodAt(T, spec);
    const lines: RatedLine[] = [];
    const credits: RatedLine[] = [];
    const usage: UsageSummary[] = [];
    const shown = T >= s.invoicesFromMs && T < s.invoicesToMs;

    const prev = events[i - 1];
    if (prev && !(s.endMs !== null && prev.ms >= s.endMs)) {
      const rated = rateWindow(s, prev.ms, T, ev.end, spec, buckets);
      lines.push(...rated.lines);
      usage.push(rated.summary);
      if (!shown) unbilled.onEarlierInvoices += rated.rows.reduce((a, r) => a + total(r), 0n);
    }
    for (const it of s.items) {
      if (it.recurring || it.atMs === null) continue;
      if (it.atMs <= T && (prev === undefined || it.atMs > prev.ms)) {
        const amountMinor = toMinor(it.price, s.currency, s.rounding);
        lines.push({ kind: 'one_off', description: it.description, tariff: null, fromMs: it.atMs, toMs: it.atMs, quantity: new Dec(1), unit: 'item', unitPrice: it.price, preciseAmount: it.price, amountMinor, taxInclusive: it.taxInclusive, details: [] });
      }
    }
    for (const c of charges) {
      if (c.startMs > T) continue;
      const knownEnd = c.endMs !== null && c.endMs <= T ? c.endMs : null;
      for (let p = periodAt(c.startMs, spec); p.fromMs <= T; p = nextPeriod(p, spec)) {
        const key = `${c.key}@${p.fromMs}`;
        const fromDay = dayOffset(c.startMs, p, tz, 'floor');
        const toDay = knownEnd === null ? p.days : knownEnd <= p.fromMs ? 0 : dayOffset(knownEnd, p, tz, c.endMode);
        const owed: Billed = toDay > fromDay ? { minor: proratedPart(c.fee, p.days, { fromDay, toDay }, s.currency, s.rounding), fromDay, toDay } : { minor: 0n, fromDay, toDay: fromDay };
        const before = billed.get(key) ?? { minor: 0n, fromDay, toDay: fromDay };
        const delta = owed.minor - before.minor;
        if (delta === 0n && owed.toDay === before.toDay) continue;
        billed.set(key, owed);
        const [a, b] = owed.toDay >= before.toDay ? [before.toDay > before.fromDay ? before.toDay : owed.fromDay, owed.toDay] : [owed.toDay, before.toDay];
        const days = b - a;
        const line: RatedLine = {
          kind: c.kind,
          description: owed.toDay >= before.toDay ? c.description : `${c.description}: unused days`,
          tariff: c.tariff,
          fromMs: dayStart(p, a, tz),
          toMs: dayStart(p, b, tz),
          quantity: new Dec(days),
          unit: `days of ${p.days}`,
          unitPrice: new Dec(c.fee).div(p.days),
          preciseAmount: new Dec(c.fee).times(days).div(p.days),
          amountMinor: delta < 0n ? -delta : delta,
          taxInclusive: c.taxInclusive,
          details: [],
        };
        (owed.toDay >= before.toDay ? lines : credits).push(line);
      }
    }
    if (!shown) continue;
    if (lines.length || usage.length) documents.push(document('invoice', T, period, lines, usage, s));
    if (credits.length) documents.push(document('credit_note', T, period, credits, [], s));
  }

  const last = events[events.length - 1]?.ms ?? s.startMs;
  for (const r of buckets) {
    if (r.hourMs < s.startMs) unbilled.beforeStart += total(r);
    else if (s.endMs !== null && r.hourMs >= s.endMs) unbilled.afterEnd += total(r);
    else if (r.hourMs >= last) unbilled.awaitingNextInvoice += total(r);
  }
  return { currency: s.currency, exponent: currencyExponent(s.currency), documents, unbilled };
}

function document(type: RatedDocument['type'], T: number, period: Period, lines: RatedLine[], usage: UsageSummary[], s: Scenario): RatedDocument {
  const taxed = taxInvoice(lines.map((l) => ({ amountMinor: l.amountMinor, taxInclusive: l.taxInclusive })), s.tax, s.taxMode, s.rounding);
  return { type, issuedAtMs: T, period, lines, lineTaxes: taxed.lines, usage, taxes: taxed.taxes, totals: taxed.totals };
}

/** Rows summed per bucket and sorted: the order (or splitting) of usage rows cannot change a rating. */
export function sumBuckets(rows: UsageRow[]): UsageRow[] {
  const by = new Map<number, UsageRow>();
  for (const r of rows) {
    const b = by.get(r.hourMs);
    if (b) by.set(r.hourMs, { hourMs: r.hourMs, download: b.download + r.download, upload: b.upload + r.upload });
    else by.set(r.hourMs, { ...r });
  }
  return [...by.values()].sort((a, b) => a.hourMs - b.hourMs);
}

function rateWindow(s: Scenario, fromMs: number, toMs: number, endsService: boolean, spec: CycleSpec, buckets: UsageRow[]) {
  const tariff = [...s.plan].reverse().find((p) => p.fromMs <= fromMs)!.tariff;
  const period = periodAt(fromMs, spec);
  const fromDay = dayOffset(fromMs, period, s.timezone, 'floor');
  const toDay = dayOffset(toMs, period, s.timezone, endsService ? 'ceil' : 'floor');
  const share = new Dec(Math.max(0, toDay - fromDay)).div(period.days);
  const rows = buckets.filter((r) => r.hourMs >= fromMs && r.hourMs < toMs);
  const counted = rows.map((r) => ({ startMs: r.hourMs, bytes: countedBytes(r, tariff.direction) }));
  const weighed = weighByBands(counted, tariff.timeBands, s.timezone);
  const units = bytesToUnits(weighed.weightedBytes, tariff.unit);
  const topUps = s.topUps.filter((t) => t.atMs >= fromMs && t.atMs < toMs).map((t) => ({ t, pack: tariff.topUps.find((p) => p.code === t.code)! }));
  const topUpUnits = topUps.reduce((a, x) => a.plus(x.pack.units), new Dec(0));
  const included = tariff.includedUnits.times(share);
  const over = Dec.max(0, units.minus(included).minus(topUpUnits));
  const lines: RatedLine[] = [];
  const tRef = ref(tariff);
  for (const { t, pack } of topUps) {
    lines.push({ kind: 'top_up', description: `Top-up ${pack.code}: ${pack.units.toFixed()} ${tariff.unit}`, tariff: tRef, fromMs: t.atMs, toMs: t.atMs, quantity: new Dec(1), unit: 'pack', unitPrice: pack.price, preciseAmount: pack.price, amountMinor: toMinor(pack.price, s.currency, s.rounding), taxInclusive: tariff.taxInclusive, details: [] });
  }
  if (tariff.charge) {
    const r = applyChargeModel(tariff.charge, over);
    lines.push({
      kind: 'usage',
      description: `Usage above ${included.plus(topUpUnits).toDecimalPlaces(6).toFixed()} ${tariff.unit} included (${tariff.charge.model.replace('_', ' ')}${tariff.charge.model === 'package' && tariff.charge.freeUnits.gt(0) ? `, the first ${tariff.charge.freeUnits.toFixed()} ${tariff.unit} above it free` : ''})`,
      tariff: tRef,
      fromMs,
      toMs,
      quantity: r.billedUnits,
      unit: tariff.unit,
      unitPrice: tariff.charge.model === 'per_unit' ? tariff.charge.unitPrice : null,
      preciseAmount: r.amount,
      amountMinor: toMinor(r.amount, s.currency, s.rounding),
      taxInclusive: tariff.taxInclusive,
      details: r.details,
    });
  }
  let fairUse: UsageSummary['fairUse'] = null;
  if (tariff.fairUse) {
    const cap = tariff.fairUse.capUnits.times(share);
    let run = new Dec(0);
    let crossedAtMs: number | null = null;
    for (const b of counted) {
      run = run.plus(bytesToUnits(weighByBands([b], tariff.timeBands, s.timezone).weightedBytes, tariff.unit));
      if (run.gt(cap)) {
        crossedAtMs = b.startMs;
        break;
      }
    }
    fairUse = { capUnits: cap, throttleRate: tariff.fairUse.throttleRate, crossedAtMs };
  }
  const summary: UsageSummary = {
    fromMs,
    toMs,
    tariff: tRef,
    downloadBytes: rows.reduce((a, r) => a + r.download, 0n),
    uploadBytes: rows.reduce((a, r) => a + r.upload, 0n),
    countedBytes: counted.reduce((a, r) => a + r.bytes, 0n),
    byBand: weighed.byBand,
    unit: tariff.unit,
    units,
    includedUnits: included,
    topUpUnits,
    chargedUnits: over,
    modelFreeUnits: tariff.charge?.model === 'package' ? tariff.charge.freeUnits : new Dec(0),
    usageCharged: tariff.charge !== null,
    fairUse,
  };
  return { lines, summary, rows };
}
