import { DateTime } from 'luxon';

/**
 * The dates of a document a billing run issues (pure). Rule: an invoice is dated the day it is
 * issued, the run's day, never the billing date it bills: an invoice cannot be back-dated (the EU
 * VAT directive, art. 226, asks for the date of issue, and for the date of supply where it
 * differs). The due date is the issue date plus the payment terms (a credit note is due at once).
 * A back-dated run (`octet bill --period` for a billing date before today) says on the document
 * which billing date and period it bills, so the customer and the accountant see both.
 */
export function issueDates(nowMs: number, billingDate: string, period: { fromMs: number; toMs: number }, type: 'invoice' | 'credit_note', termsDays: number, timezone: string): { issueDate: string; dueDate: string; notes: string[] } {
  const issued = DateTime.fromMillis(nowMs, { zone: timezone });
  const issueDate = issued.toISODate()!;
  const dueDate = issued.plus({ days: type === 'invoice' ? termsDays : 0 }).toISODate()!;
  const notes: string[] = [];
  if (issueDate > billingDate) {
    const first = DateTime.fromMillis(period.fromMs, { zone: timezone }).toISODate()!;
    const last = DateTime.fromMillis(Math.max(period.fromMs, period.toMs - 1), { zone: timezone }).toISODate()!;
    notes.push(`Billing date ${billingDate} (period ${first} – ${last}), issued on ${issueDate}.`);
  }
  return { issueDate, dueDate, notes };
}
