import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../common/errors.js';
import { exactMinor } from './amounts.js';
import type { ReadStatement, StatementLine } from './statement-line.js';

/**
 * CSV statements, read through a column mapping saved per bank (banks export whatever columns
 * they like). Pure: text and mapping in, lines or a ValidationError listing every bad line out.
 * Positive amounts are credits (payments); negative ones are debits and are skipped.
 */
export const DATE_FORMATS = ['YYYY-MM-DD', 'DD.MM.YYYY', 'DD/MM/YYYY', 'MM/DD/YYYY'] as const;

const column = z.string().trim().min(1).max(100);
export const csvMappingSchema = z.strictObject({
  // The payment's source is `csv:<bank>`, and payments keeps sources to 60 characters.
  bank: z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'use at most 40 lower-case letters, digits, - and _ (e.g. sparkasse)'),
  delimiter: z.enum([',', ';', '\t']).default(';'),
  decimalSeparator: z.enum(['.', ',']).default(','),
  dateFormat: z.enum(DATE_FORMATS).default('DD.MM.YYYY'),
  /** Header names of the columns. */
  date: column,
  amount: column,
  currency: column.optional(),
  /** When the file has no currency column. */
  defaultCurrency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').optional(),
  reference: column,
  payer: column.optional(),
  transactionId: column,
});
export type CsvMapping = z.output<typeof csvMappingSchema>;

export function validateMapping(raw: unknown): CsvMapping {
  const r = csvMappingSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ field: i.path.join('.') || 'mapping', message: i.message }));
    throw new ValidationError(`the column mapping is not valid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
  }
  if (!r.data.currency && !r.data.defaultCurrency) {
    throw new ValidationError('the column mapping needs a currency column or a default currency', [{ field: 'currency', message: 'name a column or set defaultCurrency' }]);
  }
  return r.data;
}

function isoDate(value: string, format: CsvMapping['dateFormat']): string | null {
  const v = value.trim();
  const parts =
    format === 'YYYY-MM-DD' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)?.slice(1, 4)
    : format === 'MM/DD/YYYY' ? ((m) => (m ? [m[3]!, m[1]!, m[2]!] : undefined))(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v))
    : ((m) => (m ? [m[3]!, m[2]!, m[1]!] : undefined))((format === 'DD.MM.YYYY' ? /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/ : /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/).exec(v));
  if (!parts) return null;
  const [y, m, d] = [parts[0]!, parts[1]!.padStart(2, '0'), parts[2]!.padStart(2, '0')];
  const date = new Date(`${y}-${m}-${d}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== `${y}-${m}-${d}` ? null : `${y}-${m}-${d}`;
}

export function parseCsvStatement(content: string, mapping: CsvMapping): ReadStatement {
  let rows: string[][];
  try {
    rows = parse(content.replace(/^\uFEFF/, ''), { delimiter: mapping.delimiter, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new ValidationError(`the CSV file cannot be read: ${(err as Error).message}; nothing was imported`, [{ field: 'file', message: (err as Error).message }]);
  }
  const header = rows[0] ?? [];
  const index = new Map(header.map((h, i) => [h, i]));
  const wanted = { date: mapping.date, amount: mapping.amount, reference: mapping.reference, transactionId: mapping.transactionId, ...(mapping.currency ? { currency: mapping.currency } : {}), ...(mapping.payer ? { payer: mapping.payer } : {}) };
  const missing = Object.entries(wanted).filter(([, h]) => !index.has(h));
  if (missing.length) {
    const issues = missing.map(([k, h]) => ({ field: k, message: `the file has no column ${JSON.stringify(h)} (it has ${header.map((x) => JSON.stringify(x)).join(', ')})` }));
    throw new ValidationError(`the CSV file does not fit the mapping of ${mapping.bank}: ${issues.map((i) => i.message).join('; ')}; nothing was imported`, issues);
  }
  const cell = (row: string[], name: string) => row[index.get(name)!] ?? '';
  const issues: FieldIssue[] = [];
  const lines: StatementLine[] = [];
  const skipped: ReadStatement['skipped'] = [];
  const seen = new Set<string>();
  rows.slice(1).forEach((row, i) => {
    const line = i + 2;
    const bad = (col: string, message: string) => issues.push({ field: `line ${line}, ${col}`, message });
    const externalId = cell(row, mapping.transactionId);
    const currency = (mapping.currency ? cell(row, mapping.currency) : '') || mapping.defaultCurrency || '';
    const date = isoDate(cell(row, mapping.date), mapping.dateFormat);
    const amount = exactMinor(cell(row, mapping.amount), currency.toUpperCase(), mapping.decimalSeparator);
    if (!externalId) return void bad(mapping.transactionId, 'the bank transaction id is empty: without it a second import could record the line twice');
    if (externalId.length > 200) return void bad(mapping.transactionId, 'the bank transaction id is longer than 200 characters');
    if (seen.has(externalId)) return void bad(mapping.transactionId, `transaction id ${JSON.stringify(externalId)} appears twice in the file`);
    seen.add(externalId);
    if (!date) return void bad(mapping.date, `${JSON.stringify(cell(row, mapping.date))} is not a date written ${mapping.dateFormat}`);
    if ('error' in amount) return void bad(mapping.amount, amount.error);
    if (amount.minor <= 0n) return void skipped.push({ externalId, reason: amount.minor === 0n ? 'zero amount' : 'debit' });
    lines.push({
      externalId,
      amountMinor: amount.minor,
      currency: currency.toUpperCase(),
      bookingDate: date,
      valueDate: null,
      remittance: cell(row, mapping.reference),
      references: [],
      endToEndId: null,
      payer: mapping.payer ? cell(row, mapping.payer) || null : null,
    });
  });
  if (issues.length) {
    throw new ValidationError(`the CSV file has ${issues.length} bad line(s): ${issues.slice(0, 5).map((x) => `${x.field}: ${x.message}`).join('; ')}; nothing was imported`, issues);
  }
  return { source: `csv:${mapping.bank}`, statementId: null, lines, skipped };
}
