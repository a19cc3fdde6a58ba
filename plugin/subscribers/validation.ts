/**
 * Pure validation of account and service input, shared by the REST API (JSON), the pages
 * (form strings) and the CSV import (strings). Every problem is collected, so a request or a
 * row reports all its bad fields at once. No I/O here: "today" and the default currency are
 * arguments.
 */
import { DateTime } from 'luxon';
import type { FieldIssue } from '../common/errors.js';
import { parseTaxPercent, parseTermsDays, taxExemptionProblem } from './account-tax.js';

export { taxExemptionProblem } from './account-tax.js';

export const ACCOUNT_STATUSES = ['active', 'suspended', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const SERVICE_STATUSES = ['active', 'suspended', 'ended'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

export interface AccountFields {
  externalId: string | null;
  name: string;
  email: string | null;
  phone: string | null;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  postalCode: string | null;
  country: string | null;
  taxId: string | null;
  taxExempt: boolean;
  /** Printed on the invoice of a tax-exempt account; required while taxExempt is true. */
  taxExemptReason: string | null;
  /** e.g. "VAT"; null takes the plugin's default (config billing.tax). */
  taxName: string | null;
  /** Decimal text, 0 <= p < 100 ("19", "7.5"); null takes the plugin's default. */
  taxPercent: string | null;
  /** Days from issue to due; null takes the plugin's default. */
  paymentTermsDays: number | null;
  /** Where invoices are e-mailed; null sends them to `email`. */
  billingEmail: string | null;
  currency: string;
  status: AccountStatus;
}

export interface ServiceFields {
  login: string;
  tariff: string | null;
  nasName: string | null;
  /** YYYY-MM-DD in the ISP's time zone. */
  startDate: string;
  status: Exclude<ServiceStatus, 'ended'>;
}

export interface Parsed<T> {
  value: Partial<T>;
  issues: FieldIssue[];
}

/** Service input also carries, apart from the fields, when a tariff change applies from. */
export interface ParsedService extends Parsed<ServiceFields> {
  /** As given (YYYY-MM-DD in the ISP's zone, or an ISO instant); read by tariff-history.ts. */
  tariffFrom?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Control characters and surrounding blanks in a login never come from a router; they come from
// copy and paste, and would make a login that no RADIUS request ever matches.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

type TextRule = { max: number; required?: boolean; check?: (s: string) => string | null; normalise?: (s: string) => string };

const ACCOUNT_TEXT: Record<string, TextRule> = {
  externalId: { max: 100, check: (s) => (CONTROL.test(s) ? 'must not contain control characters' : null) },
  name: { max: 200, required: true },
  email: { max: 254, check: (s) => (EMAIL.test(s) ? null : 'is not an e-mail address (name@example.net)') },
  phone: { max: 50 },
  addressLine1: { max: 200 },
  addressLine2: { max: 200 },
  city: { max: 100 },
  postalCode: { max: 20 },
  country: {
    // The pattern says what is wrong with "Germany" better than a length limit would.
    max: 100,
    normalise: (s) => s.toUpperCase(),
    check: (s) => (/^[A-Z]{2}$/.test(s) ? null : 'must be a two-letter ISO 3166 country code such as DE'),
  },
  taxId: { max: 50 },
  taxName: { max: 40 },
  taxExemptReason: { max: 200 },
  billingEmail: { max: 254, check: (s) => (EMAIL.test(s) ? null : 'is not an e-mail address (name@example.net)') },
};

const SERVICE_TEXT: Record<string, TextRule> = {
  login: {
    max: 253,
    required: true,
    check: (s) => (CONTROL.test(s) ? 'must not contain control characters' : null),
  },
  tariff: { max: 64 },
  nasName: { max: 128 },
};

export const ACCOUNT_FIELDS = [...Object.keys(ACCOUNT_TEXT), 'taxExempt', 'taxPercent', 'paymentTermsDays', 'currency', 'status'] as const;
/** `tariffFrom` is not stored on the service: it dates a tariff change in the tariff history. */
export const SERVICE_FIELDS = [...Object.keys(SERVICE_TEXT), 'startDate', 'status', 'tariffFrom'] as const;

/** Text: trimmed; empty means "none" (null) unless required. */
function parseText(field: string, raw: unknown, rule: TextRule, issues: FieldIssue[]): string | null | undefined {
  if (raw === undefined) return undefined;
  if (raw !== null && typeof raw !== 'string') {
    issues.push({ field, message: 'must be a string' });
    return undefined;
  }
  let s = (raw ?? '').trim();
  if (!s) {
    if (rule.required) issues.push({ field, message: 'is required' });
    return rule.required ? undefined : null;
  }
  if (rule.normalise) s = rule.normalise(s);
  if ([...s].length > rule.max) {
    issues.push({ field, message: `is too long (at most ${rule.max} characters)` });
    return undefined;
  }
  const problem = rule.check?.(s);
  if (problem) {
    issues.push({ field, message: problem });
    return undefined;
  }
  return s;
}

export function parseBoolean(field: string, raw: unknown, issues: FieldIssue[]): boolean | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(s)) return true;
    if (['false', 'no', '0', 'off', ''].includes(s)) return false;
  }
  issues.push({ field, message: 'must be true or false (yes/no, 1/0 in files and forms)' });
  return undefined;
}

function parseEnum<T extends string>(field: string, raw: unknown, allowed: readonly T[], issues: FieldIssue[]): T | undefined {
  if (raw === undefined) return undefined;
  const s = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  if (typeof s === 'string' && (allowed as readonly string[]).includes(s)) return s as T;
  issues.push({ field, message: `must be one of ${allowed.join(', ')}` });
  return undefined;
}

/** A calendar date written YYYY-MM-DD (the form every database and spreadsheet can give). */
export function parseDate(field: string, raw: unknown, issues: FieldIssue[], required: boolean): string | null | undefined {
  if (raw === undefined) return undefined;
  const s = typeof raw === 'string' ? raw.trim() : raw;
  if (s === null || s === '') {
    if (required) issues.push({ field, message: 'is required (YYYY-MM-DD)' });
    return required ? undefined : null;
  }
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    issues.push({ field, message: `must be a date written YYYY-MM-DD, not "${String(s)}"` });
    return undefined;
  }
  if (!DateTime.fromISO(s, { zone: 'UTC' }).isValid) {
    issues.push({ field, message: `${s} is not a calendar date` });
    return undefined;
  }
  return s;
}

function unknownFields(raw: Record<string, unknown>, known: readonly string[], issues: FieldIssue[]): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) issues.push({ field: key, message: 'is not a field that can be set' });
  }
}

function assign<T>(target: Partial<T>, key: keyof T, v: unknown): void {
  if (v !== undefined) (target as Record<keyof T, unknown>)[key] = v;
}

/**
 * Account input. On create, `name` is required and currency/status/taxExempt take defaults; on
 * update only the fields present change (null or "" clears an optional one).
 */
export function parseAccountInput(
  raw: Record<string, unknown>,
  mode: 'create' | 'update',
  defaults: { currency: string },
): Parsed<AccountFields> {
  const issues: FieldIssue[] = [];
  const value: Partial<AccountFields> = {};
  unknownFields(raw, ACCOUNT_FIELDS, issues);
  for (const [field, rule] of Object.entries(ACCOUNT_TEXT)) {
    const input = mode === 'create' && rule.required && raw[field] === undefined ? '' : raw[field];
    assign(value, field as keyof AccountFields, parseText(field, input, rule, issues));
  }
  assign(value, 'taxExempt', parseBoolean('taxExempt', raw.taxExempt, issues));
  assign(value, 'taxPercent', parseTaxPercent('taxPercent', raw.taxPercent, issues));
  assign(value, 'paymentTermsDays', parseTermsDays('paymentTermsDays', raw.paymentTermsDays, issues));
  if (raw.currency !== undefined) {
    const c = typeof raw.currency === 'string' ? raw.currency.trim().toUpperCase() : raw.currency;
    if (c === '' || c === null) {
      if (mode === 'update') issues.push({ field: 'currency', message: 'is required' });
    } else if (typeof c === 'string' && /^[A-Z]{3}$/.test(c)) value.currency = c;
    else issues.push({ field: 'currency', message: 'must be a three-letter ISO 4217 code such as EUR' });
  }
  assign(value, 'status', raw.status === '' && mode === 'create' ? undefined : parseEnum('status', raw.status, ACCOUNT_STATUSES, issues));
  if (mode === 'create') {
    value.currency ??= defaults.currency;
    value.status ??= 'active';
    value.taxExempt ??= false;
    value.externalId ??= null;
    value.taxName ??= null;
    value.taxPercent ??= null;
    value.taxExemptReason ??= null;
    value.paymentTermsDays ??= null;
    value.billingEmail ??= null;
    const exempt = taxExemptionProblem(value as AccountFields);
    if (exempt && !issues.some((i) => i.field === 'taxExemptReason')) issues.push(exempt);
  }
  return { value, issues };
}

/**
 * Service input. Ending is its own operation (it frees the login), so `status` here is active or
 * suspended only. On create, `startDate` defaults to `today` (the ISP's date).
 */
export function parseServiceInput(raw: Record<string, unknown>, mode: 'create' | 'update', today: string): ParsedService {
  const issues: FieldIssue[] = [];
  const value: Partial<ServiceFields> = {};
  unknownFields(raw, SERVICE_FIELDS, issues);
  let tariffFrom: string | undefined;
  if (raw.tariffFrom !== undefined && raw.tariffFrom !== null && raw.tariffFrom !== '') {
    if (mode === 'create') issues.push({ field: 'tariffFrom', message: 'is for a tariff change: a new service has its tariff from its start date' });
    else if (typeof raw.tariffFrom !== 'string') issues.push({ field: 'tariffFrom', message: 'must be a date (YYYY-MM-DD) or an instant (2026-03-01T10:00:00Z)' });
    else if (raw.tariff === undefined) issues.push({ field: 'tariffFrom', message: 'dates a tariff change: give the tariff too' });
    else tariffFrom = raw.tariffFrom.trim();
  }
  for (const [field, rule] of Object.entries(SERVICE_TEXT)) {
    const input = mode === 'create' && rule.required && raw[field] === undefined ? '' : raw[field];
    assign(value, field as keyof ServiceFields, parseText(field, input, rule, issues));
  }
  const start = raw.startDate === '' && mode === 'create' ? undefined : parseDate('startDate', raw.startDate, issues, true);
  assign(value, 'startDate', start);
  if (raw.status === 'ended') issues.push({ field: 'status', message: 'a service is ended with the end operation, which frees its login' });
  else assign(value, 'status', raw.status === '' && mode === 'create' ? undefined : parseEnum('status', raw.status, ['active', 'suspended'] as const, issues));
  if (mode === 'create') {
    value.startDate ??= today;
    value.status ??= 'active';
    value.tariff ??= null;
    value.nasName ??= null;
  }
  return tariffFrom === undefined ? { value, issues } : { value, issues, tariffFrom };
}

/** The last day of service may not come before its first. */
export function endDateProblem(startDate: string, endDate: string): string | null {
  return endDate < startDate ? `must not be before the start date ${startDate}` : null;
}

/** One message naming every bad field, for logs and CLI output. */
export function summarise(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.field} ${i.message}`).join('; ');
}
