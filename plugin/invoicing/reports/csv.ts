/**
 * CSV for the report downloads (pure): RFC 4180 quoting, CRLF line ends, and a guard against
 * formula injection: a text cell that a spreadsheet would run (starting with =, +, -, @, a tab
 * or a carriage return) is prefixed with an apostrophe. Numbers ("-12.50") are left as numbers.
 */
const NUMBER = /^-?\d+(\.\d+)?$/;

export function csvCell(value: string | number | bigint | null): string {
  let text = value === null ? '' : String(value);
  if (!NUMBER.test(text) && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | bigint | null>>): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
