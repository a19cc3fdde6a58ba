import type { ObservationSource } from '../common/wire.js';
import { duplicatedPolledSessions, type SessionTime } from './source-choice.js';

/**
 * From each session's usage per bucket to the rows of usage_hourly (pure): one row per login and
 * bucket, summing the counted sessions (source-choice.ts), with the service that held the login
 * at the bucket's start (service-match.ts, through `owner`), or none: unassigned.
 */
export interface SessionBucket {
  sessionId: string;
  bucketMs: number;
  download: bigint;
  upload: bigint;
}

/** `mixed`: a RADIUS session and a polled one that did not overlap it share the bucket. */
export type HourlySource = ObservationSource | 'mixed';

export interface HourlyRow {
  login: string;
  hourMs: number;
  source: HourlySource;
  download: bigint;
  upload: bigint;
  serviceId: number | null;
}

export function hourlyRows(
  buckets: readonly SessionBucket[],
  sessions: readonly SessionTime[],
  owner: (login: string, bucketMs: number) => number | null,
): HourlyRow[] {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  const skip = duplicatedPolledSessions(sessions);
  const rows = new Map<string, HourlyRow>();
  for (const b of buckets) {
    const s = byId.get(b.sessionId);
    if (!s || skip.has(s.id)) continue;
    const key = `${s.login}\u0000${b.bucketMs}`;
    const row = rows.get(key);
    if (row) {
      row.download += b.download;
      row.upload += b.upload;
      if (row.source !== s.source) row.source = 'mixed';
    } else {
      rows.set(key, { login: s.login, hourMs: b.bucketMs, source: s.source, download: b.download, upload: b.upload, serviceId: null });
    }
  }
  const out: HourlyRow[] = [];
  for (const r of rows.values()) {
    if (r.download === 0n && r.upload === 0n) continue;
    r.serviceId = owner(r.login, r.hourMs);
    out.push(r);
  }
  return out;
}
