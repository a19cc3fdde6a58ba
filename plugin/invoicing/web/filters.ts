import { DateTime } from 'luxon';
import type { FieldIssue } from '../../common/errors.js';
import { formatMoney } from '../../common/money.js';
import { INVOICE_STATUSES, type DocumentType, type InvoiceStatus } from '../invoice.js';
import type { InvoiceFilter, InvoiceRecord } from '../invoices.repository.js';

/**
 * Reading the invoice list's filters from a query string (pages and API alike), and the words
 * and formats both print. Pure: no request, no database.
 */
export const DOCUMENT_TYPES: readonly DocumentType[] = ['invoice', 'credit_note'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[1-9]\d{0,9}$/;

export const FILTER_FIELDS = ['number', 'accountId', 'status', 'type', 'period', 'issuedFrom', 'issuedTo'] as const;

function isDate(v: string): boolean {
  return DATE.test(v) && DateTime.fromISO(v, { zone: 'UTC' }).isValid;
}

/** The filter, what to show back in the form, and what was wrong (the list is then not read). */
export function parseInvoiceFilter(query: Record<string, unknown>): { filter: InvoiceFilter; values: Record<string, string>; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const values: Record<string, string> = {};
  for (const f of FILTER_FIELDS) {
    const v = query[f];
    if (v === undefined) continue;
    if (typeof v !== 'string') issues.push({ field: f, message: 'must be given once, as text' });
    else if (v.trim()) values[f] = v.trim();
  }
  const filter: InvoiceFilter = {};
  if (values.number) filter.number = values.number;
  if (values.accountId) {
    if (ID.test(values.accountId)) filter.accountId = Number(values.accountId);
    else issues.push({ field: 'accountId', message: 'must be a positive whole number' });
  }
  if (values.status) {
    if ((INVOICE_STATUSES as readonly string[]).includes(values.status)) filter.status = values.status as InvoiceStatus;
    else issues.push({ field: 'status', message: `must be one of ${INVOICE_STATUSES.join(', ')}` });
  }
  if (values.type) {
    if ((DOCUMENT_TYPES as readonly string[]).includes(values.type)) filter.type = values.type as DocumentType;
    else issues.push({ field: 'type', message: 'must be invoice or credit_note' });
  }
  for (const [field, key] of [['period', 'periodKey'], ['issuedFrom', 'issuedFrom'], ['issuedTo', 'issuedTo']] as const) {
    const v = values[field];
    if (!v) continue;
    if (isDate(v)) filter[key] = v;
    else issues.push({ field, message: 'must be a date as YYYY-MM-DD' });
  }
  if (filter.issuedFrom && filter.issuedTo && filter.issuedFrom > filter.issuedTo) issues.push({ field: 'issuedTo', message: 'must not be before the issue date from' });
  return { filter, values, issues };
}

export const TYPE_LABEL: Record<DocumentType, string> = { invoice: 'Invoice', credit_note: 'Credit note' };

/** An instant as staff read it: in the ISP's zone, with the zone named. */
export function localInstant(at: Date | null, timezone: string): string {
  return at === null ? '' : DateTime.fromJSDate(at, { zone: timezone }).toFormat('yyyy-MM-dd HH:mm ZZZZ');
}

export function money(minor: bigint | string, currency: string): string {
  return formatMoney(typeof minor === 'bigint' ? minor : BigInt(minor), currency);
}

/** A list row of an invoice or credit note, formatted. */
export function invoiceRow(r: InvoiceRecord, accountName: string | undefined) {
  return {
    id: r.id,
    number: r.number ?? '(draft)',
    type: TYPE_LABEL[r.type],
    accountId: r.accountId,
    accountName: accountName ?? `account ${r.accountId}`,
    periodKey: r.periodKey,
    issueDate: r.issueDate ?? '',
    dueDate: r.dueDate ?? '',
    status: r.status,
    net: money(r.netMinor, r.currency),
    tax: money(r.taxMinor, r.currency),
    total: money(r.totalMinor, r.currency),
  };
}
