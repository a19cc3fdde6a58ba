import { DateTime } from 'luxon';
import type { FieldIssue } from '../common/errors.js';
import { decimal, type Dec } from '../common/money.js';
import { DISCOUNT_TARGETS, discountIssues, type DiscountKind, type DiscountTarget } from '../rating/index.js';
import { CODE_RULE } from './definition.js';

/**
 * Discounts as staff enter them (pure rules; rating/discounts.ts says how they are billed):
 * - on a service (its fee, usage or all its charges; a percentage or a fixed amount per period in
 *   the account's currency) or on the account (a percentage, on every service);
 * - valid from a local date (default: from the start) until a local date (exclusive; default:
 *   open), and optionally for N billing periods;
 * - two discounts that reduce the same charges (same service, or the account's and a service's;
 *   `all` overlaps the others) must not overlap in dates: a line has at most one discount. Here
 *   `periods` counts as open-ended (the run knows the service's start and checks exactly).
 */
export interface StoredDiscountFields {
  accountId: number;
  serviceId: number | null;
  code: string;
  description: string;
  appliesTo: DiscountTarget;
  kind: DiscountKind;
  value: Dec;
  /** The value as typed ("50", "5.00"): what the table stores. */
  valueText: string;
  fromDate: string | null;
  untilDate: string | null;
  periods: number | null;
}

export const DISCOUNT_FIELDS = ['serviceId', 'code', 'description', 'appliesTo', 'percent', 'amount', 'fromDate', 'untilDate', 'periods'] as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const VALUE = /^\d{1,15}(\.\d{1,12})?$/;
const present = (v: unknown) => v !== undefined && v !== null && v !== '';

export function parseDiscountInput(raw: Record<string, unknown>, accountId: number): { value: StoredDiscountFields | null; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(raw)) if (!(DISCOUNT_FIELDS as readonly string[]).includes(k)) issues.push({ field: k, message: 'is not a field of a discount' });
  const text = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string).trim() : raw[k]);
  const code = text('code');
  if (typeof code !== 'string' || !CODE_RULE.test(code)) issues.push({ field: 'code', message: present(code) ? 'letters, digits, dot, dash or underscore, at most 64' : 'is required' });
  const description = present(text('description')) ? text('description') : code;
  if (typeof description !== 'string' || description.length > 200) issues.push({ field: 'description', message: 'at most 200 characters' });
  const appliesTo = text('appliesTo');
  if (typeof appliesTo !== 'string' || !(DISCOUNT_TARGETS as readonly string[]).includes(appliesTo)) issues.push({ field: 'appliesTo', message: `must be one of ${DISCOUNT_TARGETS.join(', ')}` });
  let serviceId: number | null = null;
  const sid = text('serviceId');
  if (present(sid)) {
    if ((typeof sid === 'number' && Number.isInteger(sid) && sid > 0) || (typeof sid === 'string' && /^[1-9]\d{0,9}$/.test(sid))) serviceId = Number(sid);
    else issues.push({ field: 'serviceId', message: 'must be a service id (a positive whole number) or empty' });
  }
  const percent = text('percent');
  const amount = text('amount');
  if (present(percent) === present(amount)) issues.push({ field: 'percent', message: 'give either a percent or an amount' });
  const valueText = present(percent) ? percent : amount;
  const valueField = present(percent) ? 'percent' : 'amount';
  if (present(valueText) && (typeof valueText !== 'string' || !VALUE.test(valueText))) issues.push({ field: valueField, message: 'must be a decimal number written as text, such as 50 or 5.00' });
  const dateOf = (k: 'fromDate' | 'untilDate'): string | null => {
    const v = text(k);
    if (!present(v)) return null;
    if (typeof v === 'string' && DATE.test(v) && DateTime.fromISO(v, { zone: 'UTC' }).isValid) return v;
    issues.push({ field: k, message: 'must be a date YYYY-MM-DD' });
    return null;
  };
  const fromDate = dateOf('fromDate');
  const untilDate = dateOf('untilDate');
  let periods: number | null = null;
  const p = text('periods');
  if (present(p)) {
    if ((typeof p === 'number' && Number.isInteger(p)) || (typeof p === 'string' && /^\d{1,4}$/.test(p))) periods = Number(p);
    else issues.push({ field: 'periods', message: 'must be a whole number of periods from 1 to 1200' });
  }
  if (issues.length) return { value: null, issues };
  const kind: DiscountKind = valueField === 'percent' ? 'percent' : 'fixed';
  const value = decimal(valueText as string);
  const rule = discountIssues({ appliesTo: appliesTo as DiscountTarget, kind, value, fromMs: fromDate === null ? null : Date.parse(fromDate), untilMs: untilDate === null ? null : Date.parse(untilDate), periods }).map((i) => ({ ...i, field: i.field === 'until' ? 'untilDate' : i.field }));
  if (serviceId === null && kind === 'fixed') rule.push({ field: 'amount', message: "an account's discount is a percentage; a fixed amount names its service" });
  if (rule.length) return { value: null, issues: rule };
  return { value: { accountId, serviceId, code: code as string, description: description as string, appliesTo: appliesTo as DiscountTarget, kind, value, valueText: valueText as string, fromDate, untilDate, periods }, issues };
}

/** The active discount a new one would overlap (same charges, dates that meet), if any. */
export function overlapping<T extends Pick<StoredDiscountFields, 'serviceId' | 'appliesTo' | 'fromDate' | 'untilDate' | 'periods'>>(d: T, others: T[]): T | null {
  const targets = (a: DiscountTarget, b: DiscountTarget) => a === b || a === 'all' || b === 'all';
  for (const o of others) {
    if (d.serviceId !== null && o.serviceId !== null && d.serviceId !== o.serviceId) continue;
    if (!targets(d.appliesTo, o.appliesTo)) continue;
    const aEnd = d.untilDate ?? '9999-12-31';
    const bEnd = o.untilDate ?? '9999-12-31';
    if ((o.fromDate ?? '0000-01-01') < aEnd && (d.fromDate ?? '0000-01-01') < bEnd) return o;
  }
  return null;
}
