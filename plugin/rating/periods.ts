import { DateTime } from 'luxon';
import { ValidationError } from '../common/errors.js';

/**
 * Billing periods (pure). Rules:
 * - A period is [from, to): two instants, each exactly local midnight in the ISP's IANA time zone
 *   (so a period that crosses a DST change is an hour shorter or longer, and in Asia/Kolkata it
 *   starts at 18:30 UTC the day before).
 * - Cycle `calendar`: periods run from the 1st of a month to the 1st of the next.
 * - Cycle `anniversary`: periods run from the day of the month the service started on; when a
 *   month has no such day (a start on the 31st, the 29th of February), the period starts on the
 *   month's last day instead, and returns to the anchor day in the next month that has it.
 * - The length of a period in days is its number of local calendar days (28 to 31), whatever
 *   the hours; proration counts those days.
 * - Where local midnight does not exist (a DST change at 00:00), the day starts at the first
 *   local instant that exists (luxon's rule).
 */

export const CYCLES = ['calendar', 'anniversary'] as const;
export type Cycle = (typeof CYCLES)[number];

export interface Period {
  /** Inclusive, epoch ms. */
  fromMs: number;
  /** Exclusive, epoch ms. */
  toMs: number;
  /** Local dates (YYYY-MM-DD) of the first day and of the day after the last. */
  fromDate: string;
  toDate: string;
  /** Local calendar days in the period. */
  days: number;
}

export interface CycleSpec {
  cycle: Cycle;
  timezone: string;
  /** Day of the month periods start on (1 for calendar; the start day for anniversary). */
  anchorDay: number;
}

// Zones found valid (IANA zone data does not change while the process runs): a run checks the same one for every service.
const validZones = new Set<string>();

export function assertTimezone(timezone: string, field = 'timezone'): void {
  if (validZones.has(timezone)) return;
  if (DateTime.now().setZone(timezone).isValid) validZones.add(timezone);
  else {
    throw new ValidationError(`unknown time zone ${JSON.stringify(timezone)}`, [{ field, message: `unknown IANA time zone ${JSON.stringify(timezone)}` }]);
  }
}

/** The cycle of a service that started at `startMs`. */
export function cycleFor(cycle: Cycle, timezone: string, startMs: number): CycleSpec {
  assertTimezone(timezone);
  return { cycle, timezone, anchorDay: cycle === 'calendar' ? 1 : DateTime.fromMillis(startMs, { zone: timezone }).day };
}

export function localDate(ms: number, timezone: string): string {
  return localDateMemo(`${ms}|${timezone}`);
}

/**
 * A small bounded memo for the zone arithmetic below: a billing run asks for the same period
 * boundaries and midnights for every account, and luxon's zone offsets (Intl) dominate its time
 * otherwise. Exact: the answers depend on nothing but their keys.
 */
function memo<K, V>(limit: number, fn: (k: K) => V): (k: K) => V {
  const cache = new Map<K, V>();
  return (k) => {
    let v = cache.get(k);
    if (v === undefined) {
      v = fn(k);
      if (cache.size >= limit) cache.clear();
      cache.set(k, v);
    }
    return v;
  };
}

const localDateMemo = memo(200_000, (key: string) => {
  const [ms, timezone] = key.split('|') as [string, string];
  return DateTime.fromMillis(Number(ms), { zone: timezone }).toISODate()!;
});

const daysMemo = memo(100_000, (key: string) => {
  const [fromDate, toDate] = key.split('|') as [string, string];
  const a = DateTime.fromISO(fromDate, { zone: 'UTC' });
  const b = DateTime.fromISO(toDate, { zone: 'UTC' });
  return Math.round(b.diff(a, 'days').days);
});

const midnight = memo(100_000, (key: string) => {
  const [date, timezone] = key.split('|') as [string, string];
  return DateTime.fromISO(date, { zone: timezone }).startOf('day').toMillis();
});

/** Local midnight starting `date` (YYYY-MM-DD), as epoch ms. */
export function localMidnight(date: string, timezone: string): number {
  return midnight(`${date}|${timezone}`);
}

/** Whole calendar days from one local date to another. */
export function daysBetween(fromDate: string, toDate: string): number {
  return daysMemo(`${fromDate}|${toDate}`);
}

function startDateIn(year: number, month: number, anchorDay: number): string {
  const first = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' });
  return first.set({ day: Math.min(anchorDay, first.daysInMonth!) }).toISODate()!;
}

function periodStartingIn(year: number, month: number, spec: CycleSpec): Period {
  const fromDate = startDateIn(year, month, spec.anchorDay);
  const next = DateTime.fromObject({ year, month, day: 1 }, { zone: 'UTC' }).plus({ months: 1 });
  const toDate = startDateIn(next.year, next.month, spec.anchorDay);
  return {
    fromMs: localMidnight(fromDate, spec.timezone),
    toMs: localMidnight(toDate, spec.timezone),
    fromDate,
    toDate,
    days: daysBetween(fromDate, toDate),
  };
}

const periodMemo = memo(200_000, (key: string) => {
  const [ms, cycle, timezone, anchorDay] = key.split('|') as [string, Cycle, string, string];
  return Object.freeze(computePeriodAt(Number(ms), { cycle, timezone, anchorDay: Number(anchorDay) }));
});

/** The period that holds the instant `ms`. */
export function periodAt(ms: number, spec: CycleSpec): Period {
  return periodMemo(`${ms}|${spec.cycle}|${spec.timezone}|${spec.anchorDay}`);
}

function computePeriodAt(ms: number, spec: CycleSpec): Period {
  const local = DateTime.fromMillis(ms, { zone: spec.timezone });
  const here = periodStartingIn(local.year, local.month, spec);
  if (ms >= here.fromMs) return here;
  const prev = local.startOf('month').minus({ days: 1 });
  return periodStartingIn(prev.year, prev.month, spec);
}

/** The period right after `p`. */
export function nextPeriod(p: Period, spec: CycleSpec): Period {
  return periodAt(p.toMs, spec);
}

/**
 * Where an instant falls in a period, in whole days from its start: `floor` counts the day the
 * instant is in as begun (a start or a tariff change bills that day), `ceil` counts it as used
 * (an end at 14:00 bills its day). Clamped to the period.
 */
export function dayOffset(ms: number, period: Period, timezone: string, mode: 'floor' | 'ceil'): number {
  if (ms <= period.fromMs) return 0;
  if (ms >= period.toMs) return period.days;
  const date = localDate(ms, timezone);
  const whole = daysBetween(period.fromDate, date);
  const atMidnight = localMidnight(date, timezone) === ms;
  return Math.min(period.days, mode === 'ceil' && !atMidnight ? whole + 1 : whole);
}
