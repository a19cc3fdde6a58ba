import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import schedule from 'node-schedule';
import type { Transaction } from 'sequelize';
import type { Logger } from '../common/logger.js';
import type { UsageConfig } from './config.js';
import type { Lease, LeaseRepository } from '../jobs/index.js';
import type { PruneService } from './prune.service.js';
import type { RollupService } from './rollup.service.js';

const LEASE = 'usage-rollup';
const LEASE_TTL_MS = 5 * 60_000;

/**
 * The usage jobs: rollup (every minute, and soon after each accepted batch) and prune (daily).
 * Both take the same database lease (plugin/jobs/lease.ts: the database's clock, a fencing token
 * proven in every chunk's transaction), so across instances only one runs at a time, and within
 * this instance a run never starts while another is going.
 */
export class UsageJobs {
  private readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private jobs: schedule.Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  /** A nudge came due while a run was going: roll up again right after it. */
  private nudgedDuringRun = false;
  private started = false;

  constructor(
    private readonly deps: {
      rollup: RollupService;
      prune: PruneService;
      leases: Pick<LeaseRepository, 'acquire' | 'prove' | 'release'>;
      logger: Logger;
      config: UsageConfig;
      /** How long a lease lasts without a proof (tests shorten it). */
      leaseTtlMs?: number;
    },
  ) {}

  start(): void {
    this.started = true;
    this.jobs.push(schedule.scheduleJob(this.deps.config.rollupCron, () => void this.run('rollup')));
    this.jobs.push(schedule.scheduleJob(this.deps.config.pruneCron, () => void this.run('prune')));
  }

  /**
   * Near-synchronous rollup: a batch was accepted; roll up shortly (batches meanwhile share it).
   * If a run is going when the delay is over, another follows it at once: the going run may have
   * made its last read of what is pending before the batch committed, and without a second run
   * the batch would wait for the next scheduled one (up to rollupCron's interval).
   */
  nudge(): void {
    if (!this.started || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.current) this.nudgedDuringRun = true;
      else void this.run('rollup');
    }, this.deps.config.rollupDelayMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const j of this.jobs) j.cancel();
    this.jobs = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  /** One run under the lease; resolves when done (or at once when another run holds it). */
  run(kind: 'rollup' | 'prune'): Promise<void> {
    // A prune asked for during a rollup runs right after it rather than being skipped for a day.
    if (this.current) return kind === 'prune' ? this.current.then(() => this.run('prune')) : this.current;
    this.current = this.runLeased(kind).finally(() => {
      this.current = null;
      if (this.nudgedDuringRun && this.started) {
        this.nudgedDuringRun = false;
        void this.run('rollup');
      }
    });
    return this.current;
  }

  private async runLeased(kind: 'rollup' | 'prune'): Promise<void> {
    const { leases, rollup, prune, logger, config } = this.deps;
    try {
      const lease: Lease | null = await leases.acquire(LEASE, this.holder, this.deps.leaseTtlMs ?? LEASE_TTL_MS);
      if (!lease) return;
      // Every chunk's transaction proves the lease first (fencing): a run that stalled past its
      // lease and was overtaken aborts there instead of adding the same observations again.
      const fence = (t: Transaction) => leases.prove(lease, t);
      try {
        const stats = await rollup.rollupPending({ fence });
        const assigned = await rollup.assignPending({ fence });
        if (stats.observations > 0 || assigned > 0) logger.debug('usage rolled up', { ...stats, assigned });
        if (kind === 'prune') await prune.prune(config.rawRetentionDays, { fence });
      } finally {
        await leases.release(lease);
      }
    } catch (err) {
      logger.error(`usage ${kind} failed; the next run retries`, { err });
    }
  }
}
