/**
 * CSV for the accountant: RFC 4180 (comma, CRLF, fields quoted when they hold a comma, quote or
 * line break, quotes doubled) with a guard against formula injection: a spreadsheet runs a cell
 * that starts with = + - @ (or a tab or carriage return) as a formula, so such a cell is written
 * with a leading apostrophe. Numbers we write ourselves (amounts, quantities) go through
 * `numberCell`, which keeps a negative amount such as -12.50 as it is.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

export type Cell = string | number | bigint | null | undefined;

export function textCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return FORMULA_START.test(s) ? `'${s}` : s;
}

/** A number we formatted (decimal text): kept as is when it is a plain number, guarded otherwise. */
export function numberCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return PLAIN_NUMBER.test(s) ? s : textCell(s);
}

function quoted(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record: cells already made safe by textCell/numberCell, quoted where needed, CRLF-terminated. */
export function csvLine(cells: string[]): string {
  return cells.map(quoted).join(',') + '\r\n';
}
