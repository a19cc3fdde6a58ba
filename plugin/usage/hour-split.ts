import type { UsageInterval } from './counters.js';

/**
 * Splitting usage across 15-minute buckets (pure).
 *
 * Usage is kept in UTC buckets of 15 minutes because every local hour of every current time
 * zone starts on one (offsets are whole quarter hours: Asia/Kolkata +05:30, Asia/Kathmandu
 * +05:45, America/St_Johns -03:30/-02:30, Australia/Adelaide +09:30/+10:30, Australia/Lord_Howe's
 * half-hour DST), so local days, months and time bands are cut exactly, and the stored buckets do
 * not depend on the configured zone.
 *
 * Usage between two observations is spread evenly over the time between them; a bucket gets the
 * share of the interval's time that falls inside it ([from, to) measured in milliseconds).
 * Rounding rule (integer bytes, exact sum): with T_k the time from `from` to the end of the k-th
 * bucket touched (capped at `to`) and L the interval's length, bucket k gets
 *   floor(bytes * T_k / L) - floor(bytes * T_(k-1) / L)
 * so the parts are whole bytes, never negative, and add up to `bytes` exactly. A zero-length
 * interval (both observations at the same instant, or a first observation without a known
 * session start) goes whole to the bucket containing its instant. (The functions keep their
 * "hour" names; `hourMs` is a bucket's start.)
 */
export const HOUR_MS = 3_600_000;

export function hourStartOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The unit usage is kept in (usage_session_hours, usage_hourly: `hour_start` is a bucket's start). */
export const BUCKET_MINUTES = 15;
export const BUCKET_MS = BUCKET_MINUTES * 60_000;

export function bucketStartOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS) * BUCKET_MS;
}

export interface HourBytes {
  hourMs: number;
  bytes: bigint;
}

export function splitAcrossHours(fromMs: number, toMs: number, bytes: bigint): HourBytes[] {
  if (bytes === 0n) return [];
  if (toMs <= fromMs) return [{ hourMs: bucketStartOf(toMs), bytes }];
  const length = BigInt(toMs - fromMs);
  const out: HourBytes[] = [];
  let given = 0n;
  for (let h = bucketStartOf(fromMs); h < toMs; h += BUCKET_MS) {
    const end = Math.min(h + BUCKET_MS, toMs);
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

/** Adds intervals into per-bucket usage (keyed by the bucket's start, epoch ms). */
export function addToHours(hours: Map<number, HourUsage>, intervals: readonly UsageInterval[]): Map<number, HourUsage> {
  for (const iv of intervals) {
    // Fast path: the interval lies within one bucket (5-minute interims mostly do).
    if (iv.toMs <= iv.fromMs || bucketStartOf(iv.fromMs) === bucketStartOf(iv.toMs - 1)) {
      const h = iv.toMs <= iv.fromMs ? bucketStartOf(iv.toMs) : bucketStartOf(iv.fromMs);
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
