import { QueryTypes, type Transaction } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { Clock } from '../common/clock.js';
import { ValidationError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { bandDifferences, checkBands, sumByBand, type BandUsage, type TimeBand } from './bands.js';
import type { CompletenessProvider, SourceCompleteness } from './completeness.js';
import { BUCKET_MINUTES, BUCKET_MS } from './hour-split.js';
import { fromSqlTime, fromSqlTimeOrNull, sqlTime } from '../db/sql.js';

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
    return this.deps.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction: t });
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
}
