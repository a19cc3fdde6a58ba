/**
 * The tariff a service had over time (pure). Each entry applies from its instant until the next
 * one; services.tariff always equals the latest entry's code. Instants are whole seconds (the
 * column is a DATETIME without fractions on MySQL, and two changes in one second are one change).
 */
import { DateTime } from 'luxon';
import type { FieldIssue } from '../common/errors.js';

export interface TariffEntry {
  code: string;
  fromMs: number;
}

/** What a tariff change does to the history. */
export type TariffStep =
  | { kind: 'append'; fromMs: number }
  /** The change dates from the same instant as the latest entry: it corrects that entry. */
  | { kind: 'replace'; fromMs: number }
  | { kind: 'refused'; issue: FieldIssue };

export function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** A service's first instant: local midnight of its start date in the ISP's time zone. */
export function serviceStartMs(startDate: string, timezone: string): number {
  return DateTime.fromISO(startDate, { zone: timezone }).startOf('day').toMillis();
}

function instantText(ms: number, timezone: string): string {
  return DateTime.fromMillis(ms, { zone: timezone }).toFormat("yyyy-MM-dd HH:mm:ss ZZZZ");
}

/**
 * `tariffFrom` as staff give it: a date (from local midnight in the ISP's zone) or an ISO instant
 * with its offset or Z (a local time without one would be ambiguous around DST).
 */
export function parseTariffFrom(raw: string, timezone: string, issues: FieldIssue[]): number | undefined {
  const s = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const d = DateTime.fromISO(s, { zone: timezone });
    if (d.isValid) return d.startOf('day').toMillis();
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) {
    const d = DateTime.fromISO(s.replace(' ', 'T'), { setZone: true });
    if (d.isValid) return wholeSecond(d.toMillis());
  }
  issues.push({ field: 'tariffFrom', message: `must be a date (YYYY-MM-DD, from midnight in ${timezone}) or an instant with its offset (2026-03-01T10:00:00Z), not "${s}"` });
  return undefined;
}

/**
 * Where a change to `code` from `fromMs` goes, given the latest entry. Not before the latest
 * entry (the history only grows; a closed billing period will restrict this further).
 */
export function tariffStep(latest: TariffEntry | null, fromMs: number, timezone: string): TariffStep {
  const from = wholeSecond(fromMs);
  if (!latest || from > latest.fromMs) return { kind: 'append', fromMs: from };
  if (from === latest.fromMs) return { kind: 'replace', fromMs: from };
  return {
    kind: 'refused',
    issue: {
      field: 'tariffFrom',
      message: `must not be before ${instantText(latest.fromMs, timezone)}, when tariff ${latest.code} began: the tariff history only grows`,
    },
  };
}

/** A tariff once given is changed, never removed: billing needs a tariff for every day after it. */
export function clearingProblem(before: string | null, after: string | null): FieldIssue | null {
  return before !== null && after === null
    ? { field: 'tariff', message: `cannot be emptied once set (it is ${before}): choose another tariff, or end the service` }
    : null;
}
