import { formatMinor } from '../../common/money.js';
import { AGING_BUCKETS, type AgingRow } from '../aging.js';

/**
 * The aging report as CSV (RFC 4180, UTF-8 with a byte-order mark, CRLF): amounts in major units;
 * a cell starting with = + - @ is prefixed with ' so a spreadsheet does not run it as a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const cell = (s: string) => {
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function agingCsv(rows: AgingRow[]): string {
  const head = ['account_id', 'account', 'currency', ...AGING_BUCKETS.map((b) => (b === 'over 90' ? 'over_90' : b === 'current' ? 'current' : `days_${b.replace('-', '_')}`)), 'total'];
  const lines = [head.join(',')];
  for (const r of rows) lines.push([String(r.accountId), cell(r.name), r.currency, ...AGING_BUCKETS.map((b) => formatMinor(r.buckets[b], r.currency)), formatMinor(r.totalMinor, r.currency)].join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
