import { DateTime } from 'luxon';
import { ValidationError } from '../common/errors.js';
import { BUCKET_MS, HOUR_MS } from './hour-split.js';

/**
 * Reporting time (pure): usage is stored in 15-minute UTC buckets (hour-split.ts), on which every
 * local hour boundary falls; periods and days are cut in the ISP's time zone, exactly, also in
 * half-hour and 45-minute zones, and a day that crosses a DST change has 23 or 25 hours.
 */
export function localDateOf(ms: number, timezone: string): string {
  return DateTime.fromMillis(ms, { zone: timezone }).toISODate()!;
}

/** [start, end) of a local calendar day, as UTC epoch ms. */
export function localDayBounds(date: string, timezone: string): { startMs: number; endMs: number } {
  const start = DateTime.fromISO(date, { zone: timezone }).startOf('day');
  if (!start.isValid) throw new ValidationError(`not a date: ${date}`, [{ field: 'date', message: 'must be YYYY-MM-DD' }]);
  return { startMs: start.toMillis(), endMs: start.plus({ days: 1 }).toMillis() };
}

/**
 * A period given as `from` (inclusive) and `to` (exclusive): each a local date (YYYY-MM-DD,
 * meaning local midnight) or an ISO date-time with offset. Both bounds are rounded down to the
 * 15-minute bucket, the unit usage is kept in (a local midnight is always on one).
 */
export function parsePeriod(from: unknown, to: unknown, timezone: string, options: { maxDays?: number } = {}): { fromMs: number; toMs: number } {
  const fromMs = parseBound(from, 'from', timezone);
  const toMs = parseBound(to, 'to', timezone);
  if (toMs <= fromMs) throw new ValidationError('`to` must be after `from`', [{ field: 'to', message: 'must be after from' }]);
  // A day's length varies by an hour across DST; a period of N local days never exceeds this.
  if (options.maxDays !== undefined && toMs - fromMs > options.maxDays * 24 * HOUR_MS + HOUR_MS) {
    throw new ValidationError(`the period is longer than ${options.maxDays} days; ask for it in parts`, [
      { field: 'to', message: `must be at most ${options.maxDays} days after from` },
    ]);
  }
  return { fromMs, toMs };
}

function parseBound(value: unknown, field: string, timezone: string): number {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError(`missing ${field}`, [{ field, message: 'is required: a date (YYYY-MM-DD) or an ISO date-time' }]);
  }
  const dt = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? DateTime.fromISO(value, { zone: timezone })
    : DateTime.fromISO(value, { setZone: true });
  if (!dt.isValid || (!/^\d{4}-\d{2}-\d{2}$/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value))) {
    throw new ValidationError(`${field} is not a date`, [{ field, message: 'must be YYYY-MM-DD or an ISO date-time with offset' }]);
  }
  return Math.floor(dt.toMillis() / BUCKET_MS) * BUCKET_MS;
}

/** The start of the local hour containing `ms` (a UTC instant), in the ISP's zone. */
export function localHourStartOf(ms: number, timezone: string): number {
  return DateTime.fromMillis(ms, { zone: timezone }).startOf('hour').toMillis();
}

export interface HourRow {
  hourMs: number;
  download: bigint;
  upload: bigint;
}

export interface DayRow {
  date: string;
  /** Hours in that local day: 24, or 23/25 on DST change days. */
  hours: number;
  download: bigint;
  upload: bigint;
}

/** Groups UTC hours into the local days of [fromMs, toMs), listing every day even when empty. */
export function groupByLocalDay(rows: readonly HourRow[], fromMs: number, toMs: number, timezone: string): DayRow[] {
  const days = new Map<string, DayRow>();
  let cursor = DateTime.fromMillis(fromMs, { zone: timezone }).startOf('day');
  while (cursor.toMillis() < toMs) {
    const next = cursor.plus({ days: 1 });
    const date = cursor.toISODate()!;
    days.set(date, { date, hours: Math.round((next.toMillis() - cursor.toMillis()) / HOUR_MS), download: 0n, upload: 0n });
    cursor = next;
  }
  for (const r of rows) {
    const day = days.get(localDateOf(r.hourMs, timezone));
    if (!day) continue;
    day.download += r.download;
    day.upload += r.upload;
  }
  return [...days.values()];
}
