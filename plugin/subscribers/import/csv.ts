/**
 * Reading an accounts CSV: bytes to text (UTF-8, with or without BOM), delimiter detection
 * (comma or semicolon: spreadsheets in much of Europe write semicolons), and rows keyed by the
 * documented column names. Pure: no database, no files.
 */
import { parse } from 'csv-parse/sync';
import { ValidationError } from '../../common/errors.js';

/** Columns of the accounts file, in the documented order. external_id and name are required. */
export const CSV_COLUMNS = [
  'external_id',
  'name',
  'email',
  'phone',
  'address_line1',
  'address_line2',
  'city',
  'postal_code',
  'country',
  'tax_id',
  'tax_exempt',
  'tax_exempt_reason',
  'tax_name',
  'tax_percent',
  'payment_terms_days',
  'billing_email',
  'currency',
  'status',
  'login',
  'tariff',
  'tariff_from',
  'nas_name',
  'start_date',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
export const REQUIRED_COLUMNS: CsvColumn[] = ['external_id', 'name'];

export interface CsvRow {
  /** 1-based line of the file where the row starts (the header is line 1). */
  line: number;
  values: Partial<Record<CsvColumn, string>>;
}

/** A problem with one row of the file; `column` is absent when it concerns the whole row. */
export interface RowIssue {
  line: number;
  column?: string;
  message: string;
}

export interface CsvFile {
  delimiter: ',' | ';';
  columns: CsvColumn[];
  rows: CsvRow[];
  /** Rows that could not be read at all (wrong number of fields); they are not in `rows`. */
  errors: RowIssue[];
}

/** The file as a whole cannot be read (encoding, CSV syntax, header): nothing row by row. */
export class CsvFileError extends ValidationError {
  constructor(
    readonly line: number | null,
    readonly detail: string,
  ) {
    const where = line === null ? 'file' : `line ${line}`;
    super(`${where}: ${detail}`, [{ field: where, message: detail }]);
  }
}

function fileError(line: number | null, message: string): CsvFileError {
  return new CsvFileError(line, message);
}

/**
 * The offset of the first byte that is not valid UTF-8, or -1. TextDecoder's fatal mode says
 * only "invalid"; staff need to know where, to fix the file.
 */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** UTF-8 with or without a byte-order mark; anything else is refused with the line and byte. */
export function decodeUtf8(buf: Uint8Array): string {
  const body = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
  const bad = firstInvalidUtf8(body);
  if (bad >= 0) {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) {
      if (body[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const offset = bad + (body === buf ? 0 : 3);
    throw fileError(
      line,
      `the file is not UTF-8: byte ${offset + 1} of the file (0x${body[bad]!.toString(16).padStart(2, '0')}, character ${[...new TextDecoder('utf-8').decode(body.subarray(lineStart, bad))].length + 1} of the line) is not valid UTF-8. Save the file as "CSV UTF-8" and upload it again`,
    );
  }
  return new TextDecoder('utf-8').decode(body);
}

/** Counts delimiters in the header line outside quotes; the more frequent one wins. */
export function detectDelimiter(text: string): ',' | ';' {
  let commas = 0;
  let semis = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semis++;
  }
  return semis > commas ? ';' : ',';
}

/** "External ID", "external-id" and "external_id" are one column; "E-mail" is email. */
function normaliseHeader(h: string): string {
  const n = h.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return n === 'e_mail' ? 'email' : n;
}

/** Parses the decoded text into rows keyed by column; header and shape problems name the line. */
export function parseAccountsCsv(text: string): CsvFile {
  const delimiter = detectDelimiter(text);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { delimiter, info: true, relax_column_count: true, skip_empty_lines: true, bom: true }) as unknown as typeof records;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw fileError(e.lines ?? null, `the file is not valid CSV: ${e.message.replace(/ at line \d+$/, '')}`);
  }
  const startLine = (r: { record: string[]; info: { lines: number } }) =>
    r.info.lines - r.record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
  const header = records[0];
  if (!header) throw fileError(null, 'the file is empty: it needs a header line naming the columns');
  const headerLine = startLine(header);
  const columns: CsvColumn[] = [];
  const problems: string[] = [];
  for (const raw of header.record) {
    const name = normaliseHeader(raw);
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) problems.push(`unknown column "${raw.trim()}"`);
    else if (columns.includes(name as CsvColumn)) problems.push(`column "${name}" appears twice`);
    else columns.push(name as CsvColumn);
  }
  for (const req of REQUIRED_COLUMNS) if (!columns.includes(req)) problems.push(`missing column "${req}"`);
  if (problems.length) {
    throw fileError(headerLine, `${problems.join('; ')} (columns are: ${CSV_COLUMNS.join(', ')})`);
  }
  const width = header.record.length;
  const rows: CsvRow[] = [];
  const errors: RowIssue[] = [];
  for (const r of records.slice(1)) {
    const line = startLine(r);
    if (r.record.length !== width) {
      errors.push({ line, message: `has ${r.record.length} fields but the header has ${width} (is a "${delimiter}" inside a value missing its quotes?)` });
      continue;
    }
    const values: Partial<Record<CsvColumn, string>> = {};
    header.record.forEach((_h, i) => {
      values[columns[i]!] = r.record[i]!;
    });
    rows.push({ line, values });
  }
  return { delimiter, columns, rows, errors };
}
