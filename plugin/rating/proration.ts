import { Dec, toMinor, type RoundingRule } from '../common/money.js';

/**
 * Proration of a recurring fee (pure). Rules:
 * - A recurring price is per billing period; a part of a period costs its share of whole local
 *   days of the actual period (28 to 31), never a 30-day month: `days` is the period's length.
 * - Allocation is by cumulative rounding, on day offsets from the period's start:
 *     part[a, b) = round(fee x b / days) - round(fee x a / days)
 *   so each line is rounded once and any split of a period (start, tariff change, end) adds up
 *   to exactly the rounded full fee, to the minor unit.
 * - A prepaid period cut short (service ended, tariff changed) is credited for its unused days
 *   with the same formula, so charged part = used part + credit, exactly.
 */

export interface DayRange {
  /** Day offsets in the period, 0 <= fromDay <= toDay <= days. */
  fromDay: number;
  toDay: number;
}

/** The rounded fee of the first `day` days of a `days`-day period: the running total proration cuts. */
export function cumulativeShare(fee: Dec, day: number, days: number, currency: string, rule: RoundingRule = 'half-up'): bigint {
  return share(fee, day, days, currency, rule);
}

function share(fee: Dec, day: number, days: number, currency: string, rule: RoundingRule): bigint {
  if (day === days) return toMinor(fee, currency, rule);
  return toMinor(new Dec(fee).times(day).div(days), currency, rule);
}

/** The part of `fee` (a price per period, in major units) for days [fromDay, toDay), in minor units. */
export function proratedPart(fee: Dec, days: number, range: DayRange, currency: string, rule: RoundingRule = 'half-up'): bigint {
  if (!Number.isInteger(days) || days <= 0) throw new RangeError('a period has a whole, positive number of days');
  const { fromDay, toDay } = range;
  if (!Number.isInteger(fromDay) || !Number.isInteger(toDay) || fromDay < 0 || toDay < fromDay || toDay > days) {
    throw new RangeError(`not a day range of a ${days}-day period: [${fromDay}, ${toDay})`);
  }
  return share(fee, toDay, days, currency, rule) - share(fee, fromDay, days, currency, rule);
}

/** Splits a period at the given day offsets; the parts sum to the rounded fee when cuts cover 0..days. */
export function allocateByDays(fee: Dec, days: number, cuts: number[], currency: string, rule: RoundingRule = 'half-up'): bigint[] {
  const parts: bigint[] = [];
  for (let i = 1; i < cuts.length; i++) parts.push(proratedPart(fee, days, { fromDay: cuts[i - 1]!, toDay: cuts[i]! }, currency, rule));
  return parts;
}

/**
 * The credit for a prepaid range [paid.fromDay, paid.toDay) that ended early, at `usedToDay`:
 * the unused days [usedToDay, paid.toDay). Zero when nothing was left unused.
 */
export function unusedCredit(fee: Dec, days: number, paid: DayRange, usedToDay: number, currency: string, rule: RoundingRule = 'half-up'): bigint {
  const from = Math.min(Math.max(usedToDay, paid.fromDay), paid.toDay);
  return proratedPart(fee, days, { fromDay: from, toDay: paid.toDay }, currency, rule);
}
