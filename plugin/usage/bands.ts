import { DateTime } from 'luxon';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import { BUCKET_MINUTES } from './hour-split.js';

/**
 * Time bands for billing (pure): local time-of-day windows in the ISP's zone, [from, to) as
 * HH:MM ("24:00" ends at midnight; `to` before `from` wraps past midnight, 22:00-06:00). A bucket
 * belongs to the band holding its local start; usage outside every band is reported under the
 * band `null`. Band edges must fall on the 15-minute buckets usage is kept in, which every local
 * quarter hour does, so a band total is exact in any zone. Bands must not overlap.
 */
export interface TimeBand {
  name: string;
  from: string;
  to: string;
}

export interface BandUsage {
  /** null: outside every band. */
  band: string | null;
  download: bigint;
  upload: bigint;
}

const HHMM = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

function minuteOf(hhmm: string): number {
  return hhmm === '24:00' ? 1440 : Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function ranges(b: TimeBand): Array<[number, number]> {
  const from = minuteOf(b.from);
  const to = minuteOf(b.to);
  if (to > from) return [[from, to]];
  return ([[from, 1440], [0, to]] as Array<[number, number]>).filter(([x, y]) => y > x);
}

/** Throws a ValidationError naming each bad band. */
export function checkBands(bands: readonly TimeBand[], path = 'bands'): void {
  const issues: FieldIssue[] = [];
  const names = new Set<string>();
  bands.forEach((b, i) => {
    if (!b.name || names.has(b.name)) issues.push({ field: `${path}.${i}.name`, message: 'must be a name not used by another band' });
    names.add(b.name);
    for (const key of ['from', 'to'] as const) {
      if (!HHMM.test(b[key])) issues.push({ field: `${path}.${i}.${key}`, message: 'must be HH:MM (00:00 to 24:00)' });
      else if (minuteOf(b[key]) % BUCKET_MINUTES !== 0) issues.push({ field: `${path}.${i}.${key}`, message: `must be on a quarter hour (usage is kept in ${BUCKET_MINUTES}-minute buckets)` });
    }
    if (HHMM.test(b.from) && HHMM.test(b.to) && minuteOf(b.from) === minuteOf(b.to) % 1440) issues.push({ field: `${path}.${i}.to`, message: 'must differ from from' });
  });
  if (issues.length === 0) {
    const taken = new Array<number>(1440).fill(-1);
    bands.forEach((b, i) => {
      for (const [x, y] of ranges(b)) {
        for (let m = x; m < y; m++) {
          if (taken[m] !== -1 && taken[m] !== i) {
            issues.push({ field: `${path}.${i}`, message: `overlaps band ${bands[taken[m]!]!.name}` });
            return;
          }
          taken[m] = i;
        }
      }
    });
  }
  if (issues.length) throw new ValidationError('time bands are not valid', issues);
}

export function bandOf(bucketMs: number, bands: readonly TimeBand[], timezone: string): string | null {
  if (bands.length === 0) return null;
  const local = DateTime.fromMillis(bucketMs, { zone: timezone });
  const m = local.hour * 60 + local.minute;
  return bands.find((b) => ranges(b).some(([x, y]) => m >= x && m < y))?.name ?? null;
}

/** Sums buckets per band, listing every band (and "outside", null) even when empty. */
export function sumByBand(buckets: ReadonlyArray<{ hourMs: number; download: bigint; upload: bigint }>, bands: readonly TimeBand[], timezone: string): BandUsage[] {
  const out = new Map<string | null, BandUsage>([...bands.map((b) => b.name), null].map((name) => [name, { band: name, download: 0n, upload: 0n }]));
  for (const r of buckets) {
    const u = out.get(bandOf(r.hourMs, bands, timezone))!;
    u.download += r.download;
    u.upload += r.upload;
  }
  return [...out.values()];
}

/** What changed per band between what was reported and what is there now (non-zero only). */
export function bandDifferences(reported: readonly BandUsage[], now: readonly BandUsage[]): BandUsage[] {
  const before = new Map(reported.map((r) => [r.band, r]));
  const out: BandUsage[] = [];
  for (const n of now) {
    const b = before.get(n.band) ?? { download: 0n, upload: 0n };
    const d = { band: n.band, download: n.download - b.download, upload: n.upload - b.upload };
    if (d.download !== 0n || d.upload !== 0n) out.push(d);
  }
  return out;
}
