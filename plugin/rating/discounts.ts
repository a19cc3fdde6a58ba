import type { FieldIssue } from '../common/errors.js';
import { Dec, roundToInteger, toMinor, type RoundingRule } from '../common/money.js';
import { nextPeriod, periodAt, type CycleSpec } from './periods.js';
import { cumulativeShare } from './proration.js';

/**
 * Discounts (pure). Rules:
 * - A discount reduces the recurring fee, the usage, or all charges of a service (`all`: the fee,
 *   the service's recurring and one-off extra charges, usage and top-ups), by a percentage
 *   (0 < p <= 100) or by a fixed amount per period (major units of the account's currency).
 *   A fixed amount names what it reduces (recurring_fee or usage), never `all`.
 * - It is valid over [from, until) (either open); with `periods: N` it also ends where the N-th
 *   period it touches ends (a discount starting mid-period counts that part as its first period:
 *   "3 months half price" from 10 January runs to 1 April).
 * - It is its own negative line (kind `discount`) right after the line it reduces, naming it.
 * - On a recurring charge it is prorated like the fee, by whole days and cumulative rounding, so
 *   any split of a period (a start, a tariff change, an end, a credit for unused days) adds up
 *   exactly to the discount of the whole period, and a day range's discount is never more than the
 *   fee of the same days (the running discount is held between 0 and the running fee, day by day).
 *   A fixed amount larger than the fee is capped at the fee.
 * - On usage, a top-up or a one-off charge it is computed on the line's rounded amount, rounded
 *   once (the scenario's rule, half-up by default), for the share of the line's days it is valid
 *   on (percent: of the line; fixed: the amount x valid days / days of the period), and capped at
 *   the line's amount.
 * - Discounts of one service (or of the account and its services) that reduce the same charges
 *   (`all` overlaps both others) must not be valid at the same time: one line has at most one
 *   discount on any day, so a discount never depends on another one's days.
 * - So no discount takes a line, or a document, below zero: each pair (line, its discounts) is
 *   at least 0.
 */

export const DISCOUNT_TARGETS = ['recurring_fee', 'usage', 'all'] as const;
export type DiscountTarget = (typeof DISCOUNT_TARGETS)[number];
export const DISCOUNT_KINDS = ['percent', 'fixed'] as const;
export type DiscountKind = (typeof DISCOUNT_KINDS)[number];

export interface Discount {
  code: string;
  description: string;
  appliesTo: DiscountTarget;
  kind: DiscountKind;
  /** Percent (0 < p <= 100), or major units per period. */
  value: Dec;
  fromMs: number | null;
  untilMs: number | null;
  periods: number | null;
}

export function discountIssues(d: Pick<Discount, 'appliesTo' | 'kind' | 'value' | 'fromMs' | 'untilMs' | 'periods'>, prefix = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const f = (name: string) => `${prefix}${name}`;
  if (d.kind === 'percent' && !(d.value.gt(0) && d.value.lte(100))) issues.push({ field: f('percent'), message: 'must be above 0 and at most 100' });
  if (d.kind === 'fixed' && !d.value.gt(0)) issues.push({ field: f('amount'), message: 'must be above 0' });
  if (d.kind === 'fixed' && d.appliesTo === 'all') issues.push({ field: f('appliesTo'), message: 'a fixed amount names what it reduces: recurring_fee or usage' });
  if (d.periods !== null && !(Number.isInteger(d.periods) && d.periods >= 1 && d.periods <= 1200)) issues.push({ field: f('periods'), message: 'must be a whole number of periods from 1 to 1200' });
  if (d.fromMs !== null && d.untilMs !== null && !(d.untilMs > d.fromMs)) issues.push({ field: f('until'), message: 'must be after from' });
  return issues;
}

function overlapsTargets(a: DiscountTarget, b: DiscountTarget): boolean {
  return a === b || a === 'all' || b === 'all';
}

/** Pairs of discounts (by index) that would reduce the same charges on the same days. */
export function overlappingDiscounts(discounts: Discount[], serviceStartMs: number, spec: CycleSpec): Array<[number, number]> {
  const spans = discounts.map((d) => discountSpan(d, serviceStartMs, spec));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < discounts.length; i++) {
    for (let j = i + 1; j < discounts.length; j++) {
      const [a, b] = [spans[i]!, spans[j]!];
      if (!overlapsTargets(discounts[i]!.appliesTo, discounts[j]!.appliesTo)) continue;
      if ((a.toMs === null || a.toMs > b.fromMs) && (b.toMs === null || b.toMs > a.fromMs)) out.push([i, j]);
    }
  }
  return out;
}

/** The instants a discount holds over for a service that started at `serviceStartMs`: [from, to), to null when open. */
export function discountSpan(d: Discount, serviceStartMs: number, spec: CycleSpec): { fromMs: number; toMs: number | null } {
  const fromMs = Math.max(d.fromMs ?? serviceStartMs, serviceStartMs);
  let toMs = d.untilMs;
  if (d.periods !== null) {
    let p = periodAt(fromMs, spec);
    for (let i = 1; i < d.periods; i++) p = nextPeriod(p, spec);
    toMs = toMs === null ? p.toMs : Math.min(toMs, p.toMs);
  }
  return { fromMs, toMs };
}

/** The discount of one whole period of `fee`, before rounding (a fixed amount is capped at the fee). */
export function periodDiscount(fee: Dec, d: Pick<Discount, 'kind' | 'value'>): Dec {
  if (d.kind === 'percent') return new Dec(fee).times(d.value).div(100);
  return Dec.min(fee, d.value);
}

/**
 * The running discount of a recurring `fee` over a period of `days` days, in minor units, as a
 * positive number: g[x] for the first x days. g[0] = 0 and g[days] = round(D), the discount of
 * the whole period (D = fee x percent, or the fixed amount capped at the fee); in between g
 * follows round(D x / days) but never falls behind the day before, never gains more than the
 * fee gained that day, and always leaves room to reach round(D) with what the fee still gains,
 * so both g and (fee - g) only grow. A range's discount is g[b] - g[a].
 */
export function discountCurve(fee: Dec, d: Pick<Discount, 'kind' | 'value'>, days: number, currency: string, rule: RoundingRule): bigint[] {
  const feeAt = [0n];
  for (let x = 1; x <= days; x++) feeAt.push(cumulativeShare(fee, x, days, currency, rule));
  return discountCurveOn(feeAt, periodDiscount(fee, d), currency, rule);
}

/** The same over any running base (what earlier discounts left of a fee), for a whole-period discount D. */
export function discountCurveOn(baseAt: bigint[], D: Dec, currency: string, rule: RoundingRule): bigint[] {
  const days = baseAt.length - 1;
  const full = cumulativeShare(D, days, days, currency, rule);
  const G = full > baseAt[days]! ? baseAt[days]! : full < 0n ? 0n : full;
  const g: bigint[] = [0n];
  for (let x = 1; x <= days; x++) {
    const prev = g[x - 1]!;
    const rest = G - (baseAt[days]! - baseAt[x]!);
    const lo = rest > prev ? rest : prev;
    const up = prev + (baseAt[x]! - baseAt[x - 1]!);
    const hi = up < G ? up : G;
    const target = cumulativeShare(D, x, days, currency, rule);
    g.push(target < lo ? lo : target > hi ? hi : target);
  }
  return g;
}

/**
 * The discount of a line that is not prorated by the day (usage, top-up, one-off), positive, in
 * minor units: `validShare` is the share of the line's days the discount is valid on, and
 * `periodShare` the share of the period those valid days are (for a fixed amount per period).
 */
export function lineDiscount(baseMinor: bigint, d: Pick<Discount, 'kind' | 'value'>, validShare: Dec, periodShare: Dec, currency: string, rule: RoundingRule): bigint {
  if (baseMinor <= 0n || validShare.lte(0)) return 0n;
  const raw = d.kind === 'percent' ? roundToInteger(new Dec(baseMinor.toString()).times(d.value).div(100).times(validShare), rule) : toMinor(new Dec(d.value).times(periodShare), currency, rule);
  return raw > baseMinor ? baseMinor : raw < 0n ? 0n : raw;
}

/** How a discount line names itself: "Discount WELCOME (50%) on Fibre 50 (FIBRE-50 v1)". */
export function discountDescription(d: Pick<Discount, 'code' | 'description' | 'kind' | 'value'>, currency: string, of: string): string {
  const size = d.kind === 'percent' ? `${d.value.toFixed()}%` : `${d.value.toFixed()} ${currency} per period`;
  const name = d.description && d.description !== d.code ? `${d.code}, ${d.description}` : d.code;
  return `Discount ${name} (${size}) on ${of}`;
}
