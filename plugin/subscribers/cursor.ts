/**
 * Opaque page cursors: base64url of the keyset position. Clients pass back what they were given;
 * anything else is a 422 on the `cursor` field, never a 500.
 */
import { ValidationError } from '../common/errors.js';
import type { AccountCursor } from './accounts.repository.js';

function bad(): ValidationError {
  return new ValidationError('cursor is not one this API handed out', [{ field: 'cursor', message: 'is not a cursor from a previous page' }]);
}

export function encodeAccountCursor(c: AccountCursor): string {
  return Buffer.from(JSON.stringify([c.name, c.id]), 'utf8').toString('base64url');
}

export function decodeAccountCursor(s: string): AccountCursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isSafeInteger(v[1]) && (v[1] as number) > 0) {
      return { name: v[0], id: v[1] as number };
    }
  } catch {
    // fall through
  }
  throw bad();
}

export function encodeIdCursor(id: number): string {
  return Buffer.from(JSON.stringify([id]), 'utf8').toString('base64url');
}

export function decodeIdCursor(s: string): number {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 1 && Number.isSafeInteger(v[0]) && (v[0] as number) > 0) return v[0] as number;
  } catch {
    // fall through
  }
  throw bad();
}

/** Page size: 1..200, default 50. */
export function parseLimit(raw: unknown): number {
  if (raw === undefined || raw === '') return 50;
  const s = String(raw);
  if (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 200) return Number(s);
  throw new ValidationError('limit must be a whole number from 1 to 200', [{ field: 'limit', message: 'must be a whole number from 1 to 200' }]);
}
