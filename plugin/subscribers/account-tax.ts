/**
 * An account's tax and payment terms as staff give them (pure): a percent as decimal text, never
 * a float; terms in whole days; an exemption with the reason the invoice prints.
 */
import type { FieldIssue } from '../common/errors.js';
import type { AccountFields } from './validation.js';

/** Tax percent as decimal text (a comma is read as the decimal separator, as European files write it). */
export function parseTaxPercent(field: string, raw: unknown, issues: FieldIssue[]): string | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  // A JSON number is taken by its shortest decimal spelling (19, 7.5), never computed with.
  const s = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : typeof raw === 'string' ? raw.trim().replace(',', '.') : undefined;
  if (s === undefined) {
    issues.push({ field, message: 'must be a percentage written as decimal text, such as "19" or "7.5"' });
    return undefined;
  }
  if (s === '') return null;
  const m = /^(\d{1,2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) {
    issues.push({ field, message: /^-/.test(s) ? 'must not be negative' : /^\d{3,}/.test(s) ? 'must be below 100' : `must be a percentage from 0 to below 100 written as decimal text, such as "19" or "7.5", not "${s}"` });
    return undefined;
  }
  // One spelling per value: "07.50" is stored as "7.5", so a re-import of the same file changes nothing.
  const whole = String(Number(m[1]));
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

/** Payment terms: whole days, 0 (due on issue) to 365. */
export function parseTermsDays(field: string, raw: unknown, issues: FieldIssue[]): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || (typeof raw === 'string' && raw.trim() === '')) return null;
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d{1,3}$/.test(s) || Number(s) > 365) {
    issues.push({ field, message: 'must be a whole number of days from 0 to 365' });
    return undefined;
  }
  return Number(s);
}

/**
 * A tax-exempt account needs the reason (the invoice prints it). `merged` is the account as it
 * would be after the change.
 */
export function taxExemptionProblem(merged: Pick<AccountFields, 'taxExempt' | 'taxExemptReason'>): FieldIssue | null {
  return merged.taxExempt && !merged.taxExemptReason
    ? { field: 'taxExemptReason', message: 'is required when the account is tax exempt: it is printed on the invoice' }
    : null;
}
