import { DateTime } from 'luxon';
import type { FieldIssue } from '../common/errors.js';
import { Dec } from '../common/money.js';

/**
 * Time bands (pure). Rules:
 * - A band is a local time-of-day range in the ISP's zone, [from, to) as HH:MM ("24:00" ends at
 *   midnight); `to` before `from` wraps past midnight (22:00-06:00). Bytes used in a band count
 *   at `percent` of their amount (0 = free, 50 = half); bytes outside every band count in full.
 * - Bands apply to usage buckets before the charge model (and before the allowance): a bucket
 *   belongs to the band that holds its local start time.
 * - A band boundary must fall on a bucket boundary in every UTC offset the zone has over the
 *   span being rated (hourly buckets are UTC hours: 00:00 is fine in Europe/Berlin, but in
 *   Asia/Kolkata local hours start at :30 UTC, so there a band must start at HH:30). Otherwise a
 *   bucket would straddle two prices; that is an error when the tariff is validated.
 * - Bands never overlap.
 */

export interface TimeBand {
  name: string;
  from: string;
  to: string;
  percent: Dec;
}

export interface UsageBucket {
  startMs: number;
  bytes: bigint;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const DAY_MIN = 24 * 60;

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** The local minutes [from, to) a band covers, as up to two non-wrapping ranges. */
function ranges(band: TimeBand): Array<[number, number]> {
  const from = minuteOfDay(band.from);
  const to = minuteOfDay(band.to);
  if (to > from) return [[from, to]];
  return [[from, DAY_MIN], [0, to]].filter(([a, b]) => b! > a!) as Array<[number, number]>;
}

const STRETCH_STEP_MS = 15 * 60_000;
const stretchMemo = new Map<string, Array<[number, number]>>();

/**
 * [from, to) cut where the zone's UTC offset changes (on 15-minute bucket starts, as every offset
 * change falls): within each stretch a UTC time of day is one local time of day. Remembered per
 * window and zone (a run asks for the same few).
 */
export function constantOffsetStretches(fromMs: number, toMs: number, timezone: string): Array<[number, number]> {
  const key = `${timezone} ${fromMs} ${toMs}`;
  let out = stretchMemo.get(key);
  if (out) return out;
  out = [];
  const offset = (ms: number) => DateTime.fromMillis(ms, { zone: timezone }).offset;
  let start = fromMs;
  let current = offset(fromMs);
  for (let t = fromMs + STRETCH_STEP_MS; t < toMs; t += STRETCH_STEP_MS) {
    const o = offset(t);
    if (o !== current) {
      out.push([start, t]);
      start = t;
      current = o;
    }
  }
  out.push([start, toMs]);
  if (stretchMemo.size > 1000) stretchMemo.clear();
  stretchMemo.set(key, out);
  return out;
}

/**
 * Where the bands of these tariffs start or end, as UTC minutes of the day at a constant UTC
 * offset (ascending, distinct; 24:00 is 0). Between two neighbouring cuts (the last wrapping past
 * midnight to the first) every bucket lies in the same band of every band set given, or outside
 * each: the usage there can be summed as one and still be priced exactly. [0] when no band has
 * an edge to give (one segment, the whole day).
 */
export function utcBandCuts(bandSets: ReadonlyArray<readonly Pick<TimeBand, 'from' | 'to'>[]>, offsetMinutes: number): number[] {
  const cuts = new Set<number>();
  for (const bands of bandSets) {
    for (const b of bands) for (const hhmm of [b.from, b.to]) cuts.add((((minuteOfDay(hhmm) - offsetMinutes) % DAY_MIN) + DAY_MIN) % DAY_MIN);
  }
  return cuts.size ? [...cuts].sort((a, b) => a - b) : [0];
}

const offsetsMemo = new Map<string, number[]>();

/** The UTC offsets (minutes) the zone takes over [fromMs, toMs), sampled daily and at both ends (remembered per zone and span). */
export function offsetsOver(timezone: string, fromMs: number, toMs: number): number[] {
  const key = `${timezone} ${fromMs} ${toMs}`;
  let out = offsetsMemo.get(key);
  if (!out) {
    out = computeOffsetsOver(timezone, fromMs, toMs);
    if (offsetsMemo.size > 10_000) offsetsMemo.clear();
    offsetsMemo.set(key, out);
  }
  return [...out];
}

function computeOffsetsOver(timezone: string, fromMs: number, toMs: number): number[] {
  const seen = new Set<number>();
  for (let t = fromMs; t < toMs; t += 86_400_000) seen.add(DateTime.fromMillis(t, { zone: timezone }).offset);
  seen.add(DateTime.fromMillis(Math.max(fromMs, toMs - 1), { zone: timezone }).offset);
  return [...seen].sort((a, b) => a - b);
}

export function timeBandIssues(
  bands: TimeBand[],
  ctx: { timezone: string; bucketMinutes: number; fromMs: number; toMs: number },
  path = 'timeBands',
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (bands.length === 0) return issues;
  const offsets = offsetsOver(ctx.timezone, ctx.fromMs, ctx.toMs);
  const covered = new Map<number, string>();
  bands.forEach((band, i) => {
    const at = `${path}.${i}`;
    let ok = true;
    for (const key of ['from', 'to'] as const) {
      if (!HHMM.test(band[key])) {
        issues.push({ field: `${at}.${key}`, message: 'must be a local time HH:MM (00:00 to 24:00)' });
        ok = false;
      }
    }
    if (band.percent.isNegative()) issues.push({ field: `${at}.percent`, message: 'must not be negative' });
    if (!ok) return;
    if (minuteOfDay(band.from) % DAY_MIN === minuteOfDay(band.to) % DAY_MIN) {
      issues.push({ field: `${at}.to`, message: 'must differ from from' });
      return;
    }
    for (const key of ['from', 'to'] as const) {
      const m = minuteOfDay(band[key]);
      const bad = offsets.find((off) => (((m - off) % ctx.bucketMinutes) + ctx.bucketMinutes) % ctx.bucketMinutes !== 0);
      if (bad !== undefined) {
        issues.push({
          field: `${at}.${key}`,
          message: `${band[key]} in ${ctx.timezone} (UTC${formatOffset(bad)}) is not on a ${ctx.bucketMinutes}-minute usage bucket boundary`,
        });
      }
    }
    for (const [a, b] of ranges(band)) {
      for (let m = a; m < b; m++) {
        const other = covered.get(m);
        if (other !== undefined) {
          issues.push({ field: `${at}.from`, message: `overlaps band ${JSON.stringify(other)}` });
          return;
        }
      }
    }
    for (const [a, b] of ranges(band)) for (let m = a; m < b; m++) covered.set(m, band.name);
  });
  return issues;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Index of the band holding the local start of a bucket, or -1 (full price). */
export function bandOf(startMs: number, bands: TimeBand[], timezone: string): number {
  const m = localMinuteOfDay(startMs, timezone);
  return bands.findIndex((band) => ranges(band).some(([a, b]) => m >= a && m < b));
}

// The local minute of the day of a bucket start, remembered per zone and instant: a billing run
// asks it for the same few thousand bucket starts of a month for every service, and the zone
// arithmetic (Intl) is what a run would otherwise spend most of its time on. Bounded; exact.
const minuteMemo = new Map<string, Map<number, number>>();
let memoSize = 0;

export function localMinuteOfDay(ms: number, timezone: string): number {
  let zone = minuteMemo.get(timezone);
  if (!zone) minuteMemo.set(timezone, (zone = new Map()));
  let m = zone.get(ms);
  if (m === undefined) {
    const local = DateTime.fromMillis(ms, { zone: timezone });
    m = local.hour * 60 + local.minute;
    if (++memoSize > 500_000) {
      minuteMemo.clear();
      memoSize = 0;
      minuteMemo.set(timezone, (zone = new Map()));
    }
    zone.set(ms, m);
  }
  return m;
}

export interface BandTotal {
  /** null: outside every band, counted in full. */
  band: string | null;
  percent: Dec;
  bytes: bigint;
  weightedBytes: Dec;
}

/** Weighs buckets by their band: the bytes that count, and the split per band for the invoice. */
export function weighByBands(buckets: UsageBucket[], bands: TimeBand[], timezone: string): { weightedBytes: Dec; byBand: BandTotal[] } {
  const sums = new Array<bigint>(bands.length + 1).fill(0n);
  for (const b of buckets) {
    const i = bands.length ? bandOf(b.startMs, bands, timezone) : -1;
    sums[i + 1]! += b.bytes;
  }
  const byBand: BandTotal[] = [];
  let weighted = new Dec(0);
  sums.forEach((bytes, j) => {
    const band = j === 0 ? null : bands[j - 1]!;
    const percent = band ? band.percent : new Dec(100);
    const w = new Dec(bytes.toString()).times(percent).div(100);
    weighted = weighted.plus(w);
    if (band || bytes > 0n || bands.length === 0) byBand.push({ band: band ? band.name : null, percent, bytes, weightedBytes: w });
  });
  return { weightedBytes: weighted, byBand };
}

/**
 * Weighs usage already split by band (as the usage module's billing read port reports it: bytes
 * per band name, `null` outside every band) by the tariff's band percentages. The split must use
 * the tariff's own bands: a band name the tariff does not have is an error, never full price.
 */
export function weighBandTotals(totals: Array<{ band: string | null; bytes: bigint }>, bands: TimeBand[]): { weightedBytes: Dec; byBand: BandTotal[] } {
  const byBand: BandTotal[] = [];
  let weighted = new Dec(0);
  for (const t of totals) {
    const band = t.band === null ? null : bands.find((b) => b.name === t.band);
    if (band === undefined) throw new RangeError(`usage split by band ${JSON.stringify(t.band)}, which the tariff does not have`);
    const percent = band ? band.percent : new Dec(100);
    const w = new Dec(t.bytes.toString()).times(percent).div(100);
    weighted = weighted.plus(w);
    byBand.push({ band: band ? band.name : null, percent, bytes: t.bytes, weightedBytes: w });
  }
  return { weightedBytes: weighted, byBand };
}
