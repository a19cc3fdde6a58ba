import { DateTime } from 'luxon';
import type { FieldIssue } from '../../common/errors.js';

/**
 * The reports' selection (pure): months from and to, both inclusive (YYYY-MM), by default the
 * twelve months up to the current one in the ISP's zone; the period for the top customers; N.
 * As local dates [fromDate, toDate) for the queries.
 */
export interface ReportRange {
  fromMonth: string;
  toMonth: string;
  fromDate: string;
  toDate: string;
  period: string;
  top: number;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const PERIOD = /^\d{4}-\d{2}-\d{2}$/;
export const MAX_MONTHS = 36;
export const MAX_TOP = 100;

export function parseReportRange(query: Record<string, unknown>, nowMs: number, timezone: string, latestPeriod: string | null): { range: ReportRange; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const text = (k: string) => (typeof query[k] === 'string' ? (query[k] as string).trim() : '');
  const now = DateTime.fromMillis(nowMs, { zone: timezone });
  let toMonth = now.toFormat('yyyy-MM');
  let fromMonth = now.minus({ months: 11 }).toFormat('yyyy-MM');
  if (text('to')) {
    if (MONTH.test(text('to'))) toMonth = text('to');
    else issues.push({ field: 'to', message: 'must be a month as YYYY-MM' });
  }
  if (text('from')) {
    if (MONTH.test(text('from'))) fromMonth = text('from');
    else issues.push({ field: 'from', message: 'must be a month as YYYY-MM' });
  } else if (text('to') && MONTH.test(text('to'))) {
    fromMonth = DateTime.fromISO(`${toMonth}-01`, { zone: 'UTC' }).minus({ months: 11 }).toFormat('yyyy-MM');
  }
  const from = DateTime.fromISO(`${fromMonth}-01`, { zone: 'UTC' });
  const to = DateTime.fromISO(`${toMonth}-01`, { zone: 'UTC' });
  if (to < from) issues.push({ field: 'to', message: 'must not be before the month from' });
  else if (to.diff(from, 'months').months >= MAX_MONTHS) issues.push({ field: 'from', message: `a report spans at most ${MAX_MONTHS} months` });
  let period = latestPeriod ?? '';
  if (text('period')) {
    if (PERIOD.test(text('period'))) period = text('period');
    else issues.push({ field: 'period', message: 'must be a period start date as YYYY-MM-DD' });
  }
  let top = 10;
  if (text('top')) {
    if (/^\d{1,3}$/.test(text('top')) && Number(text('top')) >= 1 && Number(text('top')) <= MAX_TOP) top = Number(text('top'));
    else issues.push({ field: 'top', message: `must be a whole number from 1 to ${MAX_TOP}` });
  }
  return { range: { fromMonth, toMonth, fromDate: from.toISODate()!, toDate: to.plus({ months: 1 }).toISODate()!, period, top }, issues };
}
