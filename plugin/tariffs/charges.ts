import { DateTime } from 'luxon';
import type { FieldIssue } from '../common/errors.js';
import { decimal, type Dec } from '../common/money.js';
import { CODE_RULE } from './definition.js';

/**
 * Extra charges and top-ups (pure rules). An extra charge is another service billed on the
 * account's invoice (voice, TV, static IP, equipment rental, installation):
 * - its price is decimal text in major units of the account's currency, tax-exclusive unless
 *   `taxInclusive`;
 * - recurring: billed every period over [fromDate, toDate) (local dates, either open), prorated
 *   by days like the internet fee; one-off: billed once, on the first invoice at or after `at`;
 * - removing one stops it from being billed again; what was invoiced stays invoiced.
 * A top-up is a data pack bought for a service; its code must be a top-up of the service's
 * current tariff.
 */

/** Another service billed on the same invoice (voice, TV, static IP, rental, installation). */
export interface ExtraCharge {
  id: number;
  accountId: number;
  serviceId: number | null;
  code: string;
  description: string;
  /** Major units of the account's currency. */
  price: Dec;
  taxInclusive: boolean;
  recurring: boolean;
  fromDate: string | null;
  toDate: string | null;
  atMs: number | null;
}

/** `priceText` is the price as typed ("5.00"), which is what the table stores. */
export type NewExtraCharge = Omit<ExtraCharge, 'id'> & { priceText: string };

export interface TopUpPurchase {
  id: number;
  serviceId: number;
  code: string;
  atMs: number;
  createdBy: string;
}

export const CHARGE_FIELDS = ['serviceId', 'code', 'description', 'price', 'taxInclusive', 'recurring', 'fromDate', 'toDate', 'at'] as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PRICE = /^\d{1,15}(\.\d{1,12})?$/;

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function flag(v: unknown, field: string, issues: FieldIssue[]): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (v === true || v === 'true' || v === 'on') return true;
  if (v === false || v === 'false') return false;
  issues.push({ field, message: 'must be true or false' });
  return false;
}

/** An instant: ISO date-time with offset, or a local date (midnight in `timezone`). */
export function parseInstant(v: unknown, timezone: string): number | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  const dt = DATE.test(s) ? DateTime.fromISO(s, { zone: timezone }) : /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? DateTime.fromISO(s, { setZone: true }) : null;
  return dt && dt.isValid ? dt.toMillis() : null;
}

function validDate(s: string): boolean {
  return DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
}

/** Checks a new extra charge; returns the value or the issues (every bad field). */
export function parseChargeInput(raw: Record<string, unknown>, accountId: number, timezone: string): { value: NewExtraCharge | null; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(raw)) if (!(CHARGE_FIELDS as readonly string[]).includes(k)) issues.push({ field: k, message: 'is not a field of an extra charge' });
  const text = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string).trim() : raw[k]);
  const code = text('code');
  if (typeof code !== 'string' || !CODE_RULE.test(code)) issues.push({ field: 'code', message: present(code) ? 'letters, digits, dot, dash or underscore, at most 64' : 'is required' });
  const description = text('description');
  if (typeof description !== 'string' || description === '') issues.push({ field: 'description', message: 'is required' });
  else if (description.length > 200) issues.push({ field: 'description', message: 'at most 200 characters' });
  const priceRaw = text('price');
  if (typeof priceRaw !== 'string' || !PRICE.test(priceRaw)) issues.push({ field: 'price', message: present(priceRaw) ? 'must be a decimal number written as text, such as 5.00' : 'is required' });
  let serviceId: number | null = null;
  const sid = text('serviceId');
  if (present(sid)) {
    if ((typeof sid === 'number' && Number.isInteger(sid) && sid > 0) || (typeof sid === 'string' && /^[1-9]\d{0,9}$/.test(sid))) serviceId = Number(sid);
    else issues.push({ field: 'serviceId', message: 'must be a service id (a positive whole number) or empty' });
  }
  if (raw.recurring === undefined || raw.recurring === '') issues.push({ field: 'recurring', message: 'is required (true: every period; false: once)' });
  const recurring = flag(raw.recurring, 'recurring', issues);
  const taxInclusive = flag(raw.taxInclusive, 'taxInclusive', issues);
  const dateOf = (k: 'fromDate' | 'toDate'): string | null => {
    const v = text(k);
    if (!present(v)) return null;
    if (typeof v === 'string' && validDate(v)) return v;
    issues.push({ field: k, message: 'must be a date YYYY-MM-DD' });
    return null;
  };
  const fromDate = dateOf('fromDate');
  const toDate = dateOf('toDate');
  let atMs: number | null = null;
  if (present(raw.at)) {
    atMs = parseInstant(raw.at, timezone);
    if (atMs === null) issues.push({ field: 'at', message: 'must be a date (YYYY-MM-DD) or an ISO date-time with offset' });
  }
  if (recurring && present(raw.at)) issues.push({ field: 'at', message: 'a recurring charge has from and to dates, not at' });
  if (!recurring && raw.recurring !== undefined && raw.recurring !== '' && !present(raw.at)) issues.push({ field: 'at', message: 'a one-off charge needs the instant it is billed at' });
  if (!recurring && (fromDate || toDate)) issues.push({ field: fromDate ? 'fromDate' : 'toDate', message: 'a one-off charge has at, not from and to dates' });
  if (fromDate && toDate && !(toDate > fromDate)) issues.push({ field: 'toDate', message: 'must be after the from date' });
  if (issues.length) return { value: null, issues };
  return {
    value: { accountId, serviceId, code: code as string, description: description as string, price: decimal(priceRaw as string), priceText: priceRaw as string, taxInclusive, recurring, fromDate, toDate, atMs },
    issues,
  };
}
