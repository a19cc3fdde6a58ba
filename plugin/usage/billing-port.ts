import { QueryTypes, type Transaction } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { Clock } from '../common/clock.js';
import { ValidationError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { bandDifferences, checkBands, sumByBand, type BandUsage, type TimeBand } from './bands.js';
import type { CompletenessProvider, SourceCompleteness } from './completeness.js';
import { BUCKET_MINUTES, BUCKET_MS } from './hour-split.js';
import { dailyCut, DAY_MINUTES, daySegments, firstInSegment, utcDay } from './day-windows.js';
import { fromSqlTime, fromSqlTimeOrNull, insertIgnore, sqlTime, valuesPlaceholders } from '../db/sql.js';

/**
 * The billing read port: what billing reads usage through, and nothing else.
 *
 * - `billableUsage(serviceId, fromMs, toMs, { bands })`: the service's bytes over [from, to) by
 *   direction and time band (bands.ts), with how complete that is. `from`/`to` must fall on the
 *   15-minute buckets usage is kept in (every local hour does, in every zone).
 * - Completeness: every source (router polled, NAS) with the instant it is complete through
 *   (CompletenessProvider), and `completeThrough`, the earliest of them and of any observation
 *   the rollup has not folded in yet; null while some source has reported nothing. `final` is
 *   true when that is at or after `to`: later usage for the window can then only be a late
 *   arrival, which comes back as an adjustment.
 * - `closePeriod(serviceId, fromMs, toMs, { bands, closedBy })`: billing records what it billed
 *   for a window (in its own transaction, or the one given). Closing the same window again
 *   changes nothing and returns the first record.
 * - `lateAdjustments(serviceId, sinceMs)`: usage that changed in a closed window after it was
 *   closed (a late observation, an assignment moving hours), as dated signed corrections per
 *   band, each reported once: the port compares each closed window with what was billed plus the
 *   adjustments already found, and records the difference dated now. A closed period is never
 *   changed silently.
 */
export interface BillableUsage {
  serviceId: number;
  fromMs: number;
  toMs: number;
  timezone: string;
  bucketMinutes: number;
  download: bigint;
  upload: bigint;
  bands: BandUsage[];
  completeness: Completeness;
}

export interface Completeness {
  sources: SourceCompleteness[];
  /** Oldest observation received but not rolled up yet, if any. */
  pendingSince: Date | null;
  completeThrough: Date | null;
  final: boolean;
}

export interface BilledPeriod {
  id: string;
  serviceId: number;
  fromMs: number;
  toMs: number;
  bands: TimeBand[];
  billed: BandUsage[];
  closedBy: string;
  closedAt: Date;
}

export interface LateAdjustment {
  id: string;
  serviceId: number;
  period: { fromMs: number; toMs: number };
  band: string | null;
  /** Signed: negative when usage left the window. */
  download: bigint;
  upload: bigint;
  detectedAt: Date;
}

const OUTSIDE = '';

type BandJson = Array<{ band: string | null; download: string; upload: string }>;

const toJson = (b: readonly BandUsage[]): BandJson => b.map((x) => ({ band: x.band, download: x.download.toString(), upload: x.upload.toString() }));
const fromJson = (b: BandJson): BandUsage[] => b.map((x) => ({ band: x.band, download: toBigInt(x.download), upload: toBigInt(x.upload) }));

/** `totals`: what was billed, and that plus every adjustment reported since (decimal strings). */
function totalsJson(billed: readonly BandUsage[], reported: readonly BandUsage[]): string {
  return JSON.stringify({ billed: toJson(billed), reported: toJson(reported) });
}

export class BillingUsagePort {
  constructor(private readonly deps: { db: Database; clock: Clock; timezone: string; completeness: CompletenessProvider }) {}

  private t(ms: number | Date): string {
    return sqlTime(this.deps.db.dialect, ms);
  }

  private q<T extends object>(sql: string, replacements: unknown[], t?: Transaction): Promise<T[]> {
    return this.deps.db.sequelize.query<T>(sql, { replacements: replacements.length ? replacements : undefined, type: QueryTypes.SELECT, transaction: t });
  }

  private checkWindow(fromMs: number, toMs: number): void {
    const issues = [];
    if (!Number.isFinite(fromMs) || fromMs % BUCKET_MS !== 0) issues.push({ field: 'from', message: `must be on a ${BUCKET_MINUTES}-minute boundary` });
    if (!Number.isFinite(toMs) || toMs % BUCKET_MS !== 0) issues.push({ field: 'to', message: `must be on a ${BUCKET_MINUTES}-minute boundary` });
    if (!(toMs > fromMs)) issues.push({ field: 'to', message: 'must be after from' });
    if (issues.length) throw new ValidationError('not a billable window', issues);
  }

  private async bandTotals(serviceId: number, fromMs: number, toMs: number, bands: readonly TimeBand[], t?: Transaction): Promise<BandUsage[]> {
    const rows = await this.q<{ h: unknown; d: string; u: string }>(
      `SELECT hour_start AS h, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u FROM usage_hourly WHERE service_id = ? AND hour_start >= ? AND hour_start < ?`,
      [serviceId, this.t(fromMs), this.t(toMs)],
      t,
    );
    return sumByBand(rows.map((r) => ({ hourMs: fromSqlTime(r.h).getTime(), download: toBigInt(r.d), upload: toBigInt(r.u) })), bands, this.deps.timezone);
  }

  async completeness(toMs: number): Promise<Completeness> {
    const sources = await this.deps.completeness.sources();
    const [p] = await this.q<{ m: unknown }>('SELECT MIN(observed_at) AS m FROM usage_observations WHERE rolled_up = 0', []);
    const pendingSince = fromSqlTimeOrNull(p?.m);
    let through: number | null = sources.length === 0 || sources.some((s) => s.completeThrough === null) ? null : Math.min(...sources.map((s) => s.completeThrough!.getTime()));
    if (through !== null && pendingSince) through = Math.min(through, pendingSince.getTime() - 1);
    return { sources, pendingSince, completeThrough: through === null ? null : new Date(through), final: through !== null && through >= toMs };
  }

  async billableUsage(serviceId: number, fromMs: number, toMs: number, options: { bands?: TimeBand[] } = {}): Promise<BillableUsage> {
    this.checkWindow(fromMs, toMs);
    const bands = options.bands ?? [];
    checkBands(bands);
    const [byBand, completeness] = await Promise.all([this.bandTotals(serviceId, fromMs, toMs, bands), this.completeness(toMs)]);
    return {
      serviceId,
      fromMs,
      toMs,
      timezone: this.deps.timezone,
      bucketMinutes: BUCKET_MINUTES,
      download: byBand.reduce((a, b) => a + b.download, 0n),
      upload: byBand.reduce((a, b) => a + b.upload, 0n),
      bands: byBand,
      completeness,
    };
  }

  async closePeriod(serviceId: number, fromMs: number, toMs: number, options: { bands?: TimeBand[]; closedBy: string }, transaction?: Transaction): Promise<BilledPeriod> {
    this.checkWindow(fromMs, toMs);
    const bands = options.bands ?? [];
    checkBands(bands);
    const run = async (t: Transaction) => {
      const existing = await this.findPeriod(serviceId, fromMs, toMs, t);
      if (existing) return existing;
      const billed = await this.bandTotals(serviceId, fromMs, toMs, bands, t);
      const ignore = this.deps.db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
      await this.deps.db.sequelize.query(
        `${ignore} INTO usage_billed_periods (service_id, from_at, to_at, bands, totals, closed_by, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        { replacements: [serviceId, this.t(fromMs), this.t(toMs), JSON.stringify(bands), totalsJson(billed, billed), options.closedBy, this.t(this.deps.clock.now())], transaction: t },
      );
      return (await this.findPeriod(serviceId, fromMs, toMs, t))!;
    };
    return transaction ? run(transaction) : this.deps.db.transaction(run);
  }

  private async findPeriod(serviceId: number, fromMs: number, toMs: number, t?: Transaction): Promise<BilledPeriod | null> {
    const rows = await this.periods('service_id = ? AND from_at = ? AND to_at = ?', [serviceId, this.t(fromMs), this.t(toMs)], t);
    return rows[0]?.period ?? null;
  }

  private async periods(where: string, replacements: unknown[], t?: Transaction, lock = false): Promise<Array<{ period: BilledPeriod; reported: BandUsage[] }>> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT CAST(id AS CHAR) AS id, service_id, from_at, to_at, bands, totals, closed_by, closed_at FROM usage_billed_periods WHERE ${where} ORDER BY from_at${lock && this.deps.db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
      replacements,
      t,
    );
    return rows.map((r) => {
      const totals = JSON.parse(String(r.totals)) as { billed: BandJson; reported: BandJson };
      return {
        reported: fromJson(totals.reported),
        period: {
          id: String(r.id),
          serviceId: Number(r.service_id),
          fromMs: fromSqlTime(r.from_at).getTime(),
          toMs: fromSqlTime(r.to_at).getTime(),
          bands: JSON.parse(String(r.bands)) as TimeBand[],
          billed: fromJson(totals.billed),
          closedBy: String(r.closed_by),
          closedAt: fromSqlTime(r.closed_at),
        },
      };
    });
  }

  /** Finds and records what changed in the service's closed windows, then lists adjustments detected since. */
  async lateAdjustments(serviceId: number, sinceMs: number): Promise<LateAdjustment[]> {
    await this.deps.db.transaction(async (t) => {
      // Locked, so that two callers at once record a difference once.
      for (const { period, reported } of await this.periods('service_id = ?', [serviceId], t, true)) {
        const now = await this.bandTotals(serviceId, period.fromMs, period.toMs, period.bands, t);
        const diff = bandDifferences(reported, now);
        if (diff.length === 0) continue;
        const at = this.t(this.deps.clock.now());
        for (const d of diff) {
          await this.deps.db.sequelize.query(
            'INSERT INTO usage_adjustments (billed_period_id, service_id, band, download, upload, detected_at) VALUES (?, ?, ?, ?, ?, ?)',
            { replacements: [period.id, serviceId, d.band ?? OUTSIDE, d.download.toString(), d.upload.toString(), at], transaction: t },
          );
        }
        await this.deps.db.sequelize.query('UPDATE usage_billed_periods SET totals = ? WHERE id = ?', { replacements: [totalsJson(period.billed, now), period.id], transaction: t });
      }
    });
    const rows = await this.q<Record<string, unknown>>(
      `SELECT CAST(a.id AS CHAR) AS id, a.band, CAST(a.download AS CHAR) AS d, CAST(a.upload AS CHAR) AS u, a.detected_at, p.from_at, p.to_at
         FROM usage_adjustments a JOIN usage_billed_periods p ON p.id = a.billed_period_id
        WHERE a.service_id = ? AND a.detected_at >= ? ORDER BY a.detected_at, a.id`,
      [serviceId, this.t(sinceMs)],
    );
    return rows.map((r) => ({
      id: String(r.id),
      serviceId,
      period: { fromMs: fromSqlTime(r.from_at).getTime(), toMs: fromSqlTime(r.to_at).getTime() },
      band: r.band === OUTSIDE ? null : String(r.band),
      download: toBigInt(String(r.d)),
      upload: toBigInt(String(r.u)),
      detectedAt: fromSqlTime(r.detected_at),
    }));
  }

  /**
   * Batched reads and writes for a billing run (hundreds of services per call, in the run's
   * issuing transaction where they write):
   * - `usageRows`: each service's buckets in [from, to) (15-minute starts, download/upload).
   * - `closeWindows`: records what billing rated for each window, with the totals billing itself
   *   counted (not counted again here: a bucket the rollup adds between billing's read and this
   *   write is then a difference, found as a late adjustment, never lost). Closing a window again
   *   changes nothing.
   * - `pendingAdjustments`: finds what changed in the services' closed windows (as
   *   lateAdjustments does, on totals) and lists every adjustment no invoice has carried yet.
   * - `markCarried`: the invoice that carries them (each adjustment is carried once).
   */
  async usageRows(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Map<number, Array<{ hourMs: number; download: bigint; upload: bigint }>>> {
    this.checkWindow(fromMs, toMs);
    const out = new Map<number, Array<{ hourMs: number; download: bigint; upload: bigint }>>();
    for (let i = 0; i < serviceIds.length; i += 500) {
      const part = serviceIds.slice(i, i + 500);
      if (part.length === 0) continue;
      const rows = await this.q<{ s: number | string; h: unknown; d: string; u: string }>(
        `SELECT service_id AS s, hour_start AS h, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u FROM usage_hourly
          WHERE service_id IN (${part.map(() => '?').join(', ')}) AND hour_start >= ? AND hour_start < ?`,
        [...part, this.t(fromMs), this.t(toMs)],
        t,
      );
      for (const r of rows) {
        const id = Number(r.s);
        let list = out.get(id);
        if (!list) out.set(id, (list = []));
        list.push({ hourMs: fromSqlTime(r.h).getTime(), download: toBigInt(r.d), upload: toBigInt(r.u) });
      }
    }
    return out;
  }

  /**
   * Each service's buckets in [from, to) summed per segment of the UTC day: `cuts` are UTC minutes
   * of the day (ascending, on 15-minute boundaries) that cut it into segments [cut i, cut i+1), the
   * last wrapping past midnight to the first. One row per segment with usage, dated at the first
   * bucket start in [from, to) that lies in it. Where the zone's UTC offset is constant over
   * [from, to) and every time band edge is a cut, all buckets of a segment are in one band, so the
   * rows are priced exactly as the buckets would be (the caller splits a window at each offset
   * change). The database adds per service in the index's order (no grouping by time of day), and
   * a month of buckets comes back as two to four rows.
   */
  async usageBySegments(serviceIds: number[], fromMs: number, toMs: number, cuts: readonly number[], t?: Transaction): Promise<Map<number, Array<{ hourMs: number; download: bigint; upload: bigint }>>> {
    this.checkWindow(fromMs, toMs);
    const segments = daySegments(cuts);
    const minute = this.deps.db.dialect === 'sqlite' ? '(CAST(substr(hour_start, 12, 2) AS INTEGER) * 60 + CAST(substr(hour_start, 15, 2) AS INTEGER))' : '(HOUR(hour_start) * 60 + MINUTE(hour_start))';
    const inSegment = ([lo, hi]: readonly [number, number]) => (hi <= DAY_MINUTES ? `${minute} >= ${lo} AND ${minute} < ${hi}` : `(${minute} >= ${lo} OR ${minute} < ${hi - DAY_MINUTES})`);
    const sums = segments.length === 1 ? 'CAST(SUM(download) AS CHAR) AS d0, CAST(SUM(upload) AS CHAR) AS u0' : segments.map((g, i) => `CAST(SUM(CASE WHEN ${inSegment(g)} THEN download ELSE 0 END) AS CHAR) AS d${i}, CAST(SUM(CASE WHEN ${inSegment(g)} THEN upload ELSE 0 END) AS CHAR) AS u${i}`).join(', ');
    const dated = segments.map((g) => firstInSegment(fromMs, toMs, g));
    const out = new Map<number, Array<{ hourMs: number; download: bigint; upload: bigint }>>();
    for (let i = 0; i < serviceIds.length; i += 500) {
      const part = serviceIds.slice(i, i + 500);
      if (part.length === 0) continue;
      const rows = await this.q<Record<string, string | number>>(
        `SELECT service_id AS s, ${sums} FROM usage_hourly WHERE service_id IN (${part.map(() => '?').join(', ')}) AND hour_start >= ? AND hour_start < ? GROUP BY service_id`,
        [...part, this.t(fromMs), this.t(toMs)],
        t,
      );
      for (const r of rows) {
        const list: Array<{ hourMs: number; download: bigint; upload: bigint }> = [];
        segments.forEach((_, k) => {
          const download = toBigInt(String(r[`d${k}`] ?? '0'));
          const upload = toBigInt(String(r[`u${k}`] ?? '0'));
          if (dated[k] !== null && (download !== 0n || upload !== 0n)) list.push({ hourMs: dated[k]!, download, upload });
        });
        out.set(Number(r.s), list);
      }
    }
    return out;
  }

  /**
   * Each service's download and upload summed over [from, to) (the database adds: nothing per
   * bucket travels). The whole UTC days of the window come from usage_daily (kept by triggers on
   * usage_hourly, migration 0029: about 30 rows a month instead of 720 to 2,880 buckets), the
   * buckets before the first and after the last whole day from usage_hourly.
   */
  async usageTotals(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Map<number, { download: bigint; upload: bigint }>> {
    this.checkWindow(fromMs, toMs);
    const out = new Map<number, { download: bigint; upload: bigint }>();
    const { days, edges } = dailyCut(fromMs, toMs, await this.dailyCompleteFrom(t));
    for (let i = 0; i < serviceIds.length; i += 500) {
      const part = serviceIds.slice(i, i + 500);
      if (part.length === 0) continue;
      const inList = part.map(() => '?').join(', ');
      const branches: string[] = [];
      const args: unknown[] = [];
      if (days) {
        branches.push(`SELECT service_id AS s, download AS d, upload AS u FROM usage_daily WHERE service_id IN (${inList}) AND day >= ? AND day < ?`);
        args.push(...part, utcDay(days.fromMs), utcDay(days.toMs));
      }
      for (const e of edges) {
        branches.push(`SELECT service_id AS s, download AS d, upload AS u FROM usage_hourly WHERE service_id IN (${inList}) AND hour_start >= ? AND hour_start < ?`);
        args.push(...part, this.t(e.fromMs), this.t(e.toMs));
      }
      const rows = await this.q<{ s: number | string; d: string; u: string }>(`SELECT s, CAST(SUM(d) AS CHAR) AS d, CAST(SUM(u) AS CHAR) AS u FROM (${branches.join(' UNION ALL ')}) x GROUP BY s`, args, t);
      for (const r of rows) out.set(Number(r.s), { download: toBigInt(r.d), upload: toBigInt(r.u) });
    }
    return out;
  }

  /** The first UTC day usage_daily holds whole (migration 0029 sums a bounded history; days before come from the buckets). */
  private async dailyCompleteFrom(t?: Transaction): Promise<number> {
    const [row] = await this.q<{ d: unknown }>('SELECT complete_from AS d FROM usage_daily_state WHERE id = 1', [], t);
    if (!row) return Number.POSITIVE_INFINITY;
    const d = row.d instanceof Date ? row.d.toISOString().slice(0, 10) : String(row.d).slice(0, 10);
    return Date.parse(`${d}T00:00:00Z`);
  }

  async closeWindows(windows: Array<{ serviceId: number; fromMs: number; toMs: number; download: bigint; upload: bigint }>, closedBy: string, t: Transaction): Promise<void> {
    for (const w of windows) this.checkWindow(w.fromMs, w.toMs);
    const at = this.t(this.deps.clock.now());
    for (let i = 0; i < windows.length; i += 300) {
      const part = windows.slice(i, i + 300);
      if (part.length === 0) continue;
      const args: unknown[] = [];
      for (const w of part) {
        const billed: BandUsage[] = [{ band: null, download: w.download, upload: w.upload }];
        args.push(w.serviceId, this.t(w.fromMs), this.t(w.toMs), '[]', totalsJson(billed, billed), closedBy, at, true);
      }
      await this.deps.db.sequelize.query(
        // Dirty from the start: buckets the rollup wrote after billing read them are compared at the next run.
        `${insertIgnore(this.deps.db.dialect)} INTO usage_billed_periods (service_id, from_at, to_at, bands, totals, closed_by, closed_at, dirty) VALUES ${valuesPlaceholders(part.length, 8)}`,
        { replacements: args, transaction: t },
      );
    }
  }

  async pendingAdjustments(serviceIds: number[], t: Transaction): Promise<LateAdjustment[]> {
    const out: LateAdjustment[] = [];
    for (let i = 0; i < serviceIds.length; i += 300) {
      const part = serviceIds.slice(i, i + 300);
      if (part.length === 0) continue;
      const inList = part.map(() => '?').join(', ');
      const lock = this.deps.db.dialect === 'mysql' ? ' FOR UPDATE' : '';
      const periods = await this.q<{ id: string; s: number | string; f: unknown; to: unknown; bands: string; totals: string }>(
        `SELECT CAST(id AS CHAR) AS id, service_id AS s, from_at AS f, to_at AS \`to\`, bands, totals FROM usage_billed_periods WHERE service_id IN (${inList}) AND dirty = 1 ORDER BY id${lock}`,
        part,
        t,
      );
      if (periods.length) {
        const sums = await this.q<{ id: string; d: string | null; u: string | null }>(
          `SELECT CAST(p.id AS CHAR) AS id, CAST(SUM(h.download) AS CHAR) AS d, CAST(SUM(h.upload) AS CHAR) AS u
             FROM usage_billed_periods p JOIN usage_hourly h ON h.service_id = p.service_id AND h.hour_start >= p.from_at AND h.hour_start < p.to_at
            WHERE p.service_id IN (${inList}) AND p.dirty = 1 GROUP BY p.id`,
          part,
          t,
        );
        const now = new Map(sums.map((x) => [x.id, { download: toBigInt(x.d ?? '0'), upload: toBigInt(x.u ?? '0') }]));
        const at = this.t(this.deps.clock.now());
        for (const p of periods) {
          const totals = JSON.parse(p.totals) as { billed: BandJson; reported: BandJson };
          const bands = JSON.parse(p.bands) as TimeBand[];
          const serviceId = Number(p.s);
          const fromMs = fromSqlTime(p.f).getTime();
          const toMs = fromSqlTime(p.to).getTime();
          // Windows closed with bands compare per band (the per-service path); the run closes them without.
          const current = bands.length ? await this.bandTotals(serviceId, fromMs, toMs, bands, t) : [{ band: null, ...(now.get(p.id) ?? { download: 0n, upload: 0n }) }];
          const diff = bandDifferences(fromJson(totals.reported), current);
          await this.deps.db.sequelize.query('UPDATE usage_billed_periods SET dirty = 0 WHERE id = ?', { replacements: [p.id], transaction: t });
          if (diff.length === 0) continue;
          for (const d of diff) {
            await this.deps.db.sequelize.query('INSERT INTO usage_adjustments (billed_period_id, service_id, band, download, upload, detected_at) VALUES (?, ?, ?, ?, ?, ?)', {
              replacements: [p.id, serviceId, d.band ?? OUTSIDE, d.download.toString(), d.upload.toString(), at],
              transaction: t,
            });
          }
          await this.deps.db.sequelize.query('UPDATE usage_billed_periods SET totals = ? WHERE id = ?', { replacements: [totalsJson(fromJson(totals.billed), current), p.id], transaction: t });
        }
      }
      const rows = await this.q<Record<string, unknown>>(
        `SELECT CAST(a.id AS CHAR) AS id, a.service_id, a.band, CAST(a.download AS CHAR) AS d, CAST(a.upload AS CHAR) AS u, a.detected_at, p.from_at, p.to_at
           FROM usage_adjustments a JOIN usage_billed_periods p ON p.id = a.billed_period_id
          WHERE a.service_id IN (${inList}) AND a.carried_by IS NULL ORDER BY a.id`,
        part,
        t,
      );
      for (const r of rows) {
        out.push({
          id: String(r.id),
          serviceId: Number(r.service_id),
          period: { fromMs: fromSqlTime(r.from_at).getTime(), toMs: fromSqlTime(r.to_at).getTime() },
          band: r.band === OUTSIDE ? null : String(r.band),
          download: toBigInt(String(r.d)),
          upload: toBigInt(String(r.u)),
          detectedAt: fromSqlTime(r.detected_at),
        });
      }
    }
    return out;
  }

  async markCarried(adjustmentIds: string[], carriedBy: string, t: Transaction): Promise<void> {
    for (let i = 0; i < adjustmentIds.length; i += 500) {
      const part = adjustmentIds.slice(i, i + 500);
      if (part.length === 0) continue;
      await this.deps.db.sequelize.query(`UPDATE usage_adjustments SET carried_by = ? WHERE carried_by IS NULL AND id IN (${part.map(() => '?').join(', ')})`, {
        replacements: [carriedBy, ...part],
        transaction: t,
      });
    }
  }
}

