import { DateTime } from 'luxon';
import { currencyExponent, Dec, fromMinor, toMinor } from '../common/money.js';
import { applyChargeModel, type ChargeDetail } from './charge-models.js';
import { discountCurve, discountDescription, discountSpan, lineDiscount, periodDiscount, type Discount } from './discounts.js';
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
 * - Discounts (discounts.ts) are negative lines, each right after the line it reduces (`reduces`
 *   points back to it), so tax is computed on the net of the pair. On a recurring charge a
 *   discount is a recurring charge of its own with a negative running amount: it is prorated,
 *   extended and credited by the same arithmetic as the fee, signs kept (a credit for the unused
 *   days of a discounted fee credits the fee and takes back the discount of those days). A
 *   discount that begins after the invoice carrying the fee of its days credits those days on
 *   the next credit note, so an invoice never goes below zero.
 */

export type LineKind = 'recurring_fee' | 'recurring_item' | 'one_off' | 'usage' | 'top_up' | 'adjustment' | 'discount';

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
  /** A discount: the line it reduces, as an offset back from this one (-1: the line before). */
  reduces?: number;
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
  kind: 'recurring_fee' | 'recurring_item' | 'discount';
  description: string;
  tariff: { code: string; version: number } | null;
  fee: Dec;
  taxInclusive: boolean;
  startMs: number;
  endMs: number | null;
  endMode: 'floor' | 'ceil';
  /** A discount: its running amount over a period of n days (negative), the charge it reduces, and its own end, known in advance. */
  curve?: (days: number) => bigint[];
  reduces?: string;
  knownEndMs?: number | null;
}

interface Billed {
  minor: bigint;
  fromDay: number;
  toDay: number;
}

const ref = (t: Tariff) => ({ code: t.code, version: t.version });

function recurringCharges(s: Scenario, spec: CycleSpec): Recurring[] {
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
  const bases = [...out];
  (s.discounts ?? []).forEach((d, j) => {
    const span = discountSpan(d, s.startMs, spec);
    for (const c of bases) {
      if (d.appliesTo === 'usage' || (d.appliesTo === 'recurring_fee' && c.kind !== 'recurring_fee') || !c.fee.gt(0)) continue;
      const startMs = Math.max(c.startMs, span.fromMs);
      if ((span.toMs !== null && span.toMs <= startMs) || (c.endMs !== null && c.endMs <= startMs)) continue;
      const curves = new Map<number, bigint[]>();
      const curve = (days: number) => {
        let g = curves.get(days);
        if (!g) curves.set(days, (g = discountCurve(c.fee, d, days, s.currency, s.rounding).map((v) => -v)));
        return g;
      };
      out.push({ ...c, key: `discount:${j}:${c.key}`, kind: 'discount', description: discountDescription(d, s.currency, c.description), fee: periodDiscount(c.fee, d).neg(), startMs, curve, reduces: c.key, knownEndMs: span.toMs });
    }
  });
  return out;
}

/** Discounts of lines rated once (usage, top-ups, one-off items): each right after its line. */
function withLineDiscounts(lines: RatedLine[], s: Scenario, spec: CycleSpec, keys: Map<RatedLine, string>, reduces: Map<RatedLine, string>): RatedLine[] {
  const discounts = s.discounts ?? [];
  if (discounts.length === 0) return lines;
  const out: RatedLine[] = [];
  lines.forEach((l, i) => {
    out.push(l);
    if (!(l.kind === 'usage' || l.kind === 'top_up' || l.kind === 'one_off')) return;
    const key = keys.get(l) ?? `line:${l.kind}:${l.fromMs}:${i}`;
    keys.set(l, key);
    let left = l.amountMinor;
    for (const d of discounts) {
      if (d.appliesTo === 'recurring_fee' || (d.appliesTo === 'usage' && l.kind !== 'usage')) continue;
      const span = discountSpan(d, s.startMs, spec);
      const inSpan = (ms: number) => ms >= span.fromMs && (span.toMs === null || ms < span.toMs);
      let validShare = new Dec(inSpan(l.fromMs) ? 1 : 0);
      let periodShare = validShare;
      if (l.kind === 'usage' && l.toMs > l.fromMs) {
        const period = periodAt(l.fromMs, spec);
        const day = (ms: number, mode: 'floor' | 'ceil') => dayOffset(ms, period, s.timezone, mode);
        const [a, b] = [day(l.fromMs, 'floor'), l.toMs >= period.toMs ? period.days : day(l.toMs, 'ceil')];
        const [va, vb] = [Math.max(a, day(span.fromMs, 'floor')), Math.min(b, span.toMs === null ? period.days : day(span.toMs, 'floor'))];
        const valid = Math.max(0, vb - va);
        validShare = b > a ? new Dec(valid).div(b - a) : validShare;
        periodShare = new Dec(valid).div(period.days);
      }
      const amount = lineDiscount(left, d, validShare, periodShare, s.currency, s.rounding);
      if (amount === 0n) continue;
      left -= amount;
      const line: RatedLine = {
        kind: 'discount',
        description: discountDescription(d, s.currency, l.description),
        tariff: l.tariff,
        fromMs: l.fromMs,
        toMs: l.toMs,
        quantity: new Dec(1),
        unit: 'discount',
        unitPrice: null,
        preciseAmount: fromMinor(-amount, s.currency),
        amountMinor: -amount,
        taxInclusive: l.taxInclusive,
        details: [],
      };
      reduces.set(line, key);
      out.push(line);
    }
  });
  return out;
}

/** Discount lines go right after the line they reduce, and point back to it; a discount whose line is on another document stands alone. */
function pairDiscounts(lines: RatedLine[], keys: Map<RatedLine, string>, reduces: Map<RatedLine, string>): RatedLine[] {
  if (reduces.size === 0) return lines;
  const bases = lines.filter((l) => !reduces.has(l) || !lines.some((b) => keys.get(b) === reduces.get(l)));
  const out: RatedLine[] = [];
  for (const b of bases) {
    out.push(b);
    const key = keys.get(b);
    if (key === undefined || reduces.has(b)) continue;
    const at = out.length - 1;
    for (const d of lines) if (reduces.get(d) === key) out.push({ ...d, reduces: at - out.length });
  }
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

// The date `day` days after a period's first, remembered (a run asks for the same few for every account).
const datesAfter = new Map<string, string>();

function dayStart(period: Period, day: number, timezone: string): number {
  const key = `${period.fromDate}+${day}`;
  let date = datesAfter.get(key);
  if (date === undefined) {
    date = DateTime.fromISO(period.fromDate, { zone: 'UTC' }).plus({ days: day }).toISODate()!;
    if (datesAfter.size > 100_000) datesAfter.clear();
    datesAfter.set(key, date);
  }
  return localMidnight(date, timezone);
}

// Prorated parts remembered per fee (the same tariff objects rate every account of a run): exact, the part depends on nothing else.
const parts = new WeakMap<Dec, Map<string, bigint>>();

function prorated(fee: Dec, days: number, fromDay: number, toDay: number, currency: string, rounding: Scenario['rounding']): bigint {
  let of = parts.get(fee);
  if (!of) parts.set(fee, (of = new Map()));
  const key = `${days}|${fromDay}|${toDay}|${currency}|${rounding}`;
  let v = of.get(key);
  if (v === undefined) {
    v = proratedPart(fee, days, { fromDay, toDay }, currency, rounding);
    if (of.size > 10_000) of.clear();
    of.set(key, v);
  }
  return v;
}

export function rateScenario(s: Scenario): RatingResult {
  const spec = cycleFor(s.cycle, s.timezone, s.startMs);
  const tz = s.timezone;
  const buckets = sumBuckets(s.usage);
  const events = billingEvents(s, spec);
  const charges = recurringCharges(s, spec);
  const keys = new Map<RatedLine, string>();
  const reduces = new Map<RatedLine, string>();
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
    lines.splice(0, lines.length, ...withLineDiscounts(lines, s, spec, keys, reduces));
    for (const c of charges) {
      if (c.startMs > T) continue;
      const knownEnd = c.endMs !== null && c.endMs <= T ? c.endMs : null;
      const ownEnd = c.knownEndMs ?? null;
      for (let p = periodAt(c.startMs, spec); p.fromMs <= T; p = nextPeriod(p, spec)) {
        const key = `${c.key}@${p.fromMs}`;
        const fromDay = dayOffset(c.startMs, p, tz, 'floor');
        const endDay = knownEnd === null ? p.days : knownEnd <= p.fromMs ? 0 : dayOffset(knownEnd, p, tz, c.endMode);
        const toDay = ownEnd === null ? endDay : Math.min(endDay, ownEnd <= p.fromMs ? 0 : dayOffset(ownEnd, p, tz, 'floor'));
        const part = () => (c.curve ? c.curve(p.days)[toDay]! - c.curve(p.days)[fromDay]! : prorated(c.fee, p.days, fromDay, toDay, s.currency, s.rounding));
        const owed: Billed = toDay > fromDay ? { minor: part(), fromDay, toDay } : { minor: 0n, fromDay, toDay: fromDay };
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
          // What is billed is the change in what is owed; a credit is its opposite. Signs are
          // kept, so a discount (a negative fee) is a negative line, and its unused days a
          // negative line of the credit note.
          amountMinor: owed.toDay >= before.toDay ? delta : -delta,
          taxInclusive: c.taxInclusive,
          details: [],
        };
        keys.set(line, key);
        if (c.reduces) reduces.set(line, `${c.reduces}@${p.fromMs}`);
        (owed.toDay >= before.toDay ? lines : credits).push(line);
      }
    }
    // A discount of days whose fee an earlier invoice carried (it began after that invoice) is
    // money back on what was invoiced: it goes on the credit note, as a credit.
    for (const l of lines.filter((x) => reduces.has(x) && !lines.some((b) => keys.get(b) === reduces.get(x)))) {
      lines.splice(lines.indexOf(l), 1);
      const credit: RatedLine = { ...l, description: `${l.description}: days invoiced before`, amountMinor: -l.amountMinor, preciseAmount: l.preciseAmount.neg(), unitPrice: l.unitPrice === null ? null : l.unitPrice.neg() };
      credits.push(credit);
    }
    if (!shown) continue;
    if (lines.length || usage.length) documents.push(document('invoice', T, period, pairDiscounts(lines, keys, reduces), usage, s));
    if (credits.length) documents.push(document('credit_note', T, period, pairDiscounts(credits, keys, reduces), [], s));
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
  const taxed = taxInvoice(lines.map(pricedOf), s.tax, s.taxMode, s.rounding);
  return { type, issuedAtMs: T, period, lines, lineTaxes: taxed.lines, usage, taxes: taxed.taxes, totals: taxed.totals };
}

/** What tax needs of a line: its amount, how it is priced, and the line a discount reduces. */
/** What the discount lines reducing line `at` take off it, counted positive (a discount line names its line by `reduces`). */
export function discountOn(lines: readonly RatedLine[], at: number): bigint {
  let off = 0n;
  lines.forEach((l, j) => {
    if (l.kind === 'discount' && l.reduces !== undefined && j + l.reduces === at) off -= l.amountMinor;
  });
  return off;
}

export function pricedOf(l: RatedLine): { amountMinor: bigint; taxInclusive: boolean; reduces?: number } {
  return l.reduces === undefined ? { amountMinor: l.amountMinor, taxInclusive: l.taxInclusive } : { amountMinor: l.amountMinor, taxInclusive: l.taxInclusive, reduces: l.reduces };
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
