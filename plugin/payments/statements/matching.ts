import type { StatementLine } from './statement-line.js';

/**
 * What a payer wrote that can name who paid: invoice numbers (INV-000123, also "INV 123" or
 * "inv000123" as people type them), account ids written with a prefix (ACC-42, Kd.-Nr. 42,
 * customer 42), and words that may be an account's external id (the ISP's own customer number).
 * Pure: the service looks the candidates up, in this order, and matches only when they all point
 * to one account.
 */
export interface MatchCandidates {
  invoiceNumbers: string[];
  accountIds: number[];
  externalIds: string[];
}

const INVOICE = /\bINV[\s-]?0*(\d{1,12})\b/gi;
const ACCOUNT = /\b(?:ACC(?:OUNT)?|CUST(?:OMER)?|KD|KUNDE|KUNDENNR|KD\.?-?NR)\.?[\s#:.-]*(\d{1,12})\b/gi;
const WORD = /[A-Za-z0-9][A-Za-z0-9_./-]{2,63}/g;
/** Look-ups per line are bounded: a long remittance text is not a query storm. */
const MAX_EXTERNAL = 8;

export function invoiceNumberOf(digits: string): string {
  return `INV-${digits.replace(/^0+(?=\d)/, '').padStart(6, '0')}`;
}

export function matchCandidates(line: Pick<StatementLine, 'remittance' | 'references' | 'endToEndId'>): MatchCandidates {
  const texts = [line.remittance, ...line.references, line.endToEndId ?? ''];
  const all = texts.join(' ');
  const invoiceNumbers = [...new Set([...all.matchAll(INVOICE)].map((m) => invoiceNumberOf(m[1]!)))];
  const accountIds = [...new Set([...all.matchAll(ACCOUNT)].map((m) => Number(m[1])).filter((n) => Number.isSafeInteger(n) && n > 0))];
  const externalIds = [...new Set(texts.flatMap((t) => t.match(WORD) ?? []).filter((w) => /\d/.test(w) && !/^INV[\s-]?\d/i.test(w)))].slice(0, MAX_EXTERNAL);
  return { invoiceNumbers, accountIds, externalIds };
}
