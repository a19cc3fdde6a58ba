// Raw-SQL helpers that every module's repositories share: the database layer's, not one module's.
import type { Dialect } from './database.js';

/**
 * Times in raw SQL. Sequelize's own escaping drops milliseconds on MySQL, and observations are
 * ordered by milliseconds, so raw statements pass times as strings in the exact format each
 * dialect's models store: MySQL DATETIME(3) in UTC, and SQLite's text form with the offset.
 */
export function sqlTime(dialect: Dialect, at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  const base = ms >= 0 && ms < MS_YEAR_10000 ? utcText(ms) : isoText(ms);
  return dialect === 'sqlite' ? `${base} +00:00` : base;
}

function isoText(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-03-01T10:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const MS_YEAR_10000 = 253402300800000;
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC by integer arithmetic (civil-from-days), the rollup's hot path. */
function utcText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return `${String(y).padStart(4, '0')}-${two(m)}-${two(d)} ${two(h)}:${two(mi)}:${two(sec)}.${milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : milli}`;
}

/** A time column read back by raw SQL: a Date (mysql2) or the SQLite text form. */
export function fromSqlTime(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?: ?([+-]\d{2}:\d{2}|Z))?$/.exec(value);
    if (m) return new Date(`${m[1]}T${m[2]}${m[3] === undefined || m[3] === 'Z' ? 'Z' : m[3]}`);
  }
  if (typeof value === 'number') return new Date(value);
  throw new RangeError(`not a time from the database: ${String(value)}`);
}

export function fromSqlTimeOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : fromSqlTime(value);
}

export function insertIgnore(dialect: Dialect): string {
  return dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
}

/** `(?, ?, ?), (?, ?, ?)` for multi-row statements with replacements. */
export function valuesPlaceholders(rows: number, columns: number): string {
  const one = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(one).join(', ');
}

/** `($1, $2), ($3, $4)` for multi-row statements with bound parameters. */
export function bindPlaceholders(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0, n = 1; r < rows; r++) {
    const one: string[] = [];
    for (let c = 0; c < columns; c++) one.push(`$${n++}`);
    out.push(`(${one.join(', ')})`);
  }
  return out.join(', ');
}

/**
 * A value written straight into SQL text (no replacements pass): for multi-row statements whose
 * building is most of the caller's CPU (the rollup's). Numbers must be finite integers, bigints
 * and strings are quoted as each dialect reads them back exactly (MySQL's backslash escapes
 * with the default sql_mode; SQLite's doubled quote), null is NULL, booleans 1 and 0.
 */
export type SqlValue = string | number | bigint | boolean | null;

const PLAIN = /^[A-Za-z0-9 _.:@+\-/]*$/;
const MYSQL_SPECIAL = /[\0\n\r\b\t\\'"\x1a]/g;
const MYSQL_ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\t': '\\t', '\\': '\\\\', "'": "\\'", '"': '\\"', '\x1a': '\\Z' };

export function sqlString(dialect: Dialect, s: string): string {
  if (PLAIN.test(s)) return `'${s}'`;
  if (dialect === 'sqlite') return `'${s.replace(/'/g, "''")}'`;
  return `'${s.replace(MYSQL_SPECIAL, (c) => MYSQL_ESCAPES[c]!)}'`;
}

export function sqlLiteral(dialect: Dialect, v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return sqlString(dialect, v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer for SQL: ${v}`);
  return String(v);
}

/** `(a, b), (c, d)` from rows of values, as text. */
export function sqlRows(dialect: Dialect, rows: ReadonlyArray<readonly SqlValue[]>): string {
  const out: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let s = '(';
    for (let j = 0; j < r.length; j++) s += (j ? ', ' : '') + sqlLiteral(dialect, r[j]!);
    out[i] = s + ')';
  }
  return out.join(', ');
}

/** `(a, b, c)` for an IN list (never empty: callers skip empty lists). */
export function sqlList(dialect: Dialect, values: readonly SqlValue[]): string {
  let s = '(';
  for (let i = 0; i < values.length; i++) s += (i ? ', ' : '') + sqlLiteral(dialect, values[i]!);
  return s + ')';
}

/**
 * A time column as epoch milliseconds in a SELECT (MySQL: integer arithmetic on the stored UTC
 * DATETIME, independent of the session time zone; SQLite: the stored text, parsed by msOf).
 */
export function sqlMs(dialect: Dialect, column: string): string {
  return dialect === 'mysql' ? `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${column}) DIV 1000` : column;
}

/** What sqlMs selected, as epoch milliseconds (null stays null). */
export function msOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return fromSqlTime(value).getTime();
}
