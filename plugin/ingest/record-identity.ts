import { createHash } from 'node:crypto';
import type { ValidObservation } from './validate.js';

/**
 * What makes a batch or a record the same one again. An agent restored from a VM snapshot reuses
 * its spool's sequence ranges (so its batch ids) and may reuse record ids, with other content: an
 * id alone must never make the plugin drop what it has not stored.
 */

/** The batch's identity beside its id: the SHA-256 of its records as received. */
export function batchContentDigest(records: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(records)).digest('hex');
}

/** What a stored observation says, as the repository reads it back. */
export interface StoredObservation {
  recordId: string;
  sessionKey: string;
  login: string;
  sessionStartMs: number | null;
  observedAtMs: number;
  download: bigint;
  upload: bigint;
  ended: boolean;
}

/** Same session, login, times and counters: a re-delivery. Context (framed IP) is not compared. */
export function sameObservation(a: ValidObservation, b: StoredObservation): boolean {
  return (
    a.sessionKey === b.sessionKey &&
    a.login === b.login &&
    a.sessionStartMs === b.sessionStartMs &&
    a.observedAtMs === b.observedAtMs &&
    a.download === b.download &&
    a.upload === b.upload &&
    a.ended === b.ended
  );
}

/**
 * The id a record is stored under when its own id was taken by a record with other content.
 * Derived from the original id and the content, so the same record re-sent maps to the same
 * derived id (and is a duplicate), while each distinct content gets its own row. 64 characters,
 * the column's width; `~` marks it (agents choose UUIDs or hex digests).
 */
export function reusedRecordId(r: ValidObservation): string {
  const content = [r.recordId, r.sessionKey, r.login, r.sessionStartMs ?? '', r.observedAtMs, r.download, r.upload, r.ended ? 1 : 0].join('\u0000');
  return `~${createHash('sha256').update(content, 'utf8').digest('hex').slice(0, 63)}`;
}

/**
 * Splits the records the database ignored on insert into true re-deliveries and records whose id
 * another content holds (stored rows by record id; a record id seen twice in one batch counts
 * against the row that won).
 */
export function reusedIds(valid: readonly ValidObservation[], stored: ReadonlyMap<string, StoredObservation>): ValidObservation[] {
  return valid.filter((r) => {
    const s = stored.get(r.recordId);
    return s !== undefined && !sameObservation(r, s);
  });
}
