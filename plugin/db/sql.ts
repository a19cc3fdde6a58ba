// Raw-SQL helpers that every module's repositories share: the database layer's, not one module's.
import type { Dialect } from './database.js';

/**
 * Times in raw SQL. Sequelize's own escaping drops milliseconds on MySQL, and observations are
 * ordered by milliseconds, so raw statements pass times as strings in the exact format each
 * dialect's models store: MySQL DATETIME(3) in UTC, and SQLite's text form with the offset.
 */
export function sqlTime(dialect: Dialect, at: Date | number): string {
  const iso = new Date(at).toISOString(); // 2026-03-01T10:00:00.123Z
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  return dialect === 'sqlite' ? `${base} +00:00` : base;
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
