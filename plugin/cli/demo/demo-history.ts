import { DateTime } from 'luxon';
import type { SessionObservation } from '../../common/wire.js';

/**
 * Last month's usage for the demo customers, as an agent would have reported it: per customer
 * and day, an evening session (and for the night owl a night session too), each a start, hourly
 * interims and a stop with cumulative counters. Pure: the month and zone are arguments, and every
 * session and record id is derived from the login and the day, so the same month gives the same
 * batch byte for byte (a second submission changes nothing).
 *
 * The amounts are chosen so each demo tariff shows its rule on the invoice: an allowance
 * exceeded and one not, graduated and volume tiers, started packages, the free night band, and
 * a fair-use cap reached late in the month.
 */
export interface HistoryCustomer {
  login: string;
  source: 'poll' | 'radius';
  sourceName: string;
  /** Whole month, decimal gigabytes (10^9 bytes). */
  downloadGB: number;
  uploadGB: number;
  /** Share of the bytes in a night session (00:30-06:30 local), 0 for none. */
  nightShare?: number;
}

export const HISTORY: ReadonlyArray<Omit<HistoryCustomer, 'source' | 'sourceName'>> = [
  { login: 'user0001', downloadGB: 300, uploadGB: 50 }, // fibre-100: 150 GB over its 200 GB allowance
  { login: 'user0002', downloadGB: 110, uploadGB: 15 }, // fibre-100: within the allowance
  { login: 'user0003', downloadGB: 680, uploadGB: 90 }, // fibre-300: 270 GB above 500, both tiers
  { login: 'user0004', downloadGB: 470, uploadGB: 70 }, // fibre-300: 40 GB above, first tier only
  { login: 'user0005', downloadGB: 190, uploadGB: 40, nightShare: 0.5 }, // night-owl: half of it free at night
  { login: 'hs0001', downloadGB: 7.3, uploadGB: 1.1 }, // hotspot-day: 1 GB free, then started 1 GB packs
  { login: 'radius-01', downloadGB: 175, uploadGB: 18 }, // dsl-50: ~180 GiB, the second volume tier
  { login: 'radius-02', downloadGB: 560, uploadGB: 60 }, // flat-fair: over the 500 GB fair-use cap
];

const GB = 1_000_000_000n;

/** The local month before the one `now` is in: [from, to) and its label (e.g. "November 2026"). */
export function lastMonth(now: Date, timezone: string): { from: DateTime; to: DateTime; label: string } {
  const to = DateTime.fromJSDate(now, { zone: timezone }).startOf('month');
  const from = to.minus({ months: 1 });
  return { from, to, label: from.setLocale('en').toFormat('LLLL yyyy') };
}

/** Splits `total` into `parts` whole amounts by `weights` that add up exactly (cumulative floors). */
export function splitExactly(total: bigint, weights: readonly number[]): bigint[] {
  const scaled = weights.map((w) => BigInt(Math.round(w * 1000)));
  const sum = scaled.reduce((a, b) => a + b, 0n);
  let before = 0n;
  let acc = 0n;
  return scaled.map((w) => {
    acc += w;
    const upTo = (total * acc) / sum;
    const part = upTo - before;
    before = upTo;
    return part;
  });
}

function gb(value: number): bigint {
  return (BigInt(Math.round(value * 1000)) * GB) / 1000n;
}

/** One session: start at 0, interims every hour, stop at `hours` with all its bytes. */
function session(c: HistoryCustomer, sessionId: string, start: DateTime, hours: number, download: bigint, upload: bigint): SessionObservation[] {
  const steps = Array.from({ length: hours }, () => 1);
  const down = splitExactly(download, steps);
  const up = splitExactly(upload, steps);
  const out: SessionObservation[] = [];
  let d = 0n;
  let u = 0n;
  for (let i = 0; i <= hours; i++) {
    if (i > 0) {
      d += down[i - 1]!;
      u += up[i - 1]!;
    }
    out.push({
      recordId: `${sessionId}-${i}`,
      source: c.source,
      sourceName: c.sourceName,
      login: c.login,
      sessionId,
      sessionStart: start.toUTC().toISO()!,
      observedAt: start.plus({ hours: i }).toUTC().toISO()!,
      downloadOctets: d.toString(),
      uploadOctets: u.toString(),
      ended: i === hours,
    });
  }
  return out;
}

/** Every record of one customer's month, in time order. */
export function monthRecords(c: HistoryCustomer, month: { from: DateTime; to: DateTime }): SessionObservation[] {
  const days: DateTime[] = [];
  for (let d = month.from; d < month.to; d = d.plus({ days: 1 })) days.push(d);
  // Busier at weekends and some weekdays, the same every time.
  const weights = days.map((d) => 3 + ((d.day * 7) % 5) + (d.weekday >= 6 ? 2 : 0));
  const night = c.nightShare ?? 0;
  const totalDown = gb(c.downloadGB);
  const totalUp = gb(c.uploadGB);
  const nightDown = (totalDown * BigInt(Math.round(night * 1000))) / 1000n;
  const nightUp = (totalUp * BigInt(Math.round(night * 1000))) / 1000n;
  const eveDown = splitExactly(totalDown - nightDown, weights);
  const eveUp = splitExactly(totalUp - nightUp, weights);
  const nightDownDays = splitExactly(nightDown, weights);
  const nightUpDays = splitExactly(nightUp, weights);
  const records: SessionObservation[] = [];
  days.forEach((day, i) => {
    const tag = `hist-${c.login}-${day.toFormat('yyyyMMdd')}`;
    if (night > 0) records.push(...session(c, `${tag}-n`, day.set({ hour: 0, minute: 30 }), 6, nightDownDays[i]!, nightUpDays[i]!));
    records.push(...session(c, `${tag}-e`, day.set({ hour: 17 }), 6, eveDown[i]!, eveUp[i]!));
  });
  return records;
}

/** The stable id of a customer's batch for the month (same month, same id). */
export function historyBatchId(login: string, month: { from: DateTime }): string {
  return `demo-history-${login}-${month.from.toFormat('yyyy-MM')}`;
}
