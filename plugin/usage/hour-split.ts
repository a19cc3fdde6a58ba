import type { UsageInterval } from './counters.js';

/**
 * Splitting usage across UTC hours (pure).
 *
 * Usage between two observations is spread evenly over the time between them; an hour gets the
 * share of the interval's time that falls inside it ([from, to) measured in milliseconds).
 * Rounding rule (integer bytes, exact sum): with T_k the time from `from` to the end of the k-th
 * hour touched (capped at `to`) and L the interval's length, hour k gets
 *   floor(bytes * T_k / L) - floor(bytes * T_(k-1) / L)
 * so the parts are whole bytes, never negative, and add up to `bytes` exactly. A zero-length
 * interval (both observations at the same instant, or a first observation without a known
 * session start) goes whole to the hour containing its instant.
 */
export const HOUR_MS = 3_600_000;

export function hourStartOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The unit usage is kept in (usage_session_hours, usage_hourly). */
export const BUCKET_MS = HOUR_MS;

export function bucketStartOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS) * BUCKET_MS;
}

export interface HourBytes {
  hourMs: number;
  bytes: bigint;
}

export function splitAcrossHours(fromMs: number, toMs: number, bytes: bigint): HourBytes[] {
  if (bytes === 0n) return [];
  if (toMs <= fromMs) return [{ hourMs: hourStartOf(toMs), bytes }];
  const length = BigInt(toMs - fromMs);
  const out: HourBytes[] = [];
  let given = 0n;
  for (let h = hourStartOf(fromMs); h < toMs; h += HOUR_MS) {
    const end = Math.min(h + HOUR_MS, toMs);
    const upTo = (bytes * BigInt(end - fromMs)) / length;
    const part = upTo - given;
    given = upTo;
    if (part !== 0n) out.push({ hourMs: h, bytes: part });
  }
  return out;
}

export interface HourUsage {
  download: bigint;
  upload: bigint;
}

/** Adds intervals into per-hour usage (keyed by the hour's start, epoch ms). */
export function addToHours(hours: Map<number, HourUsage>, intervals: readonly UsageInterval[]): Map<number, HourUsage> {
  for (const iv of intervals) {
    // Fast path: the interval lies within one hour (5-minute interims nearly always do).
    if (iv.toMs <= iv.fromMs || hourStartOf(iv.fromMs) === hourStartOf(iv.toMs - 1)) {
      const h = iv.toMs <= iv.fromMs ? hourStartOf(iv.toMs) : hourStartOf(iv.fromMs);
      add(hours, h, iv.download, iv.upload);
      continue;
    }
    for (const p of splitAcrossHours(iv.fromMs, iv.toMs, iv.download)) add(hours, p.hourMs, p.bytes, 0n);
    for (const p of splitAcrossHours(iv.fromMs, iv.toMs, iv.upload)) add(hours, p.hourMs, 0n, p.bytes);
  }
  return hours;
}

function add(hours: Map<number, HourUsage>, h: number, download: bigint, upload: bigint): void {
  const cur = hours.get(h);
  if (cur) {
    cur.download += download;
    cur.upload += upload;
  } else {
    hours.set(h, { download, upload });
  }
}
