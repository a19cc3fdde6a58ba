import schedule from 'node-schedule';
import { DateTime } from 'luxon';
import type { Clock } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { BillingService } from './billing.service.js';

/**
 * The scheduled billing run: at the configured cron time in the ISP's zone, a run for today's
 * date (services whose period starts today). Every instance may schedule it: the run's lease
 * lets one bill and the others find the accounts billed. A run that fails is logged and the
 * next tick (or `octet bill`) resumes it.
 */
export class BillingJob {
  private job: schedule.Job | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly deps: { billing: BillingService; clock: Clock; logger: Logger; timezone: string; cron: string }) {}

  start(): void {
    this.job = schedule.scheduleJob({ rule: this.deps.cron, tz: this.deps.timezone }, () => void this.tick());
  }

  async tick(): Promise<void> {
    if (this.running) return;
    const key = DateTime.fromJSDate(this.deps.clock.now(), { zone: this.deps.timezone }).toISODate()!;
    this.running = this.deps.billing
      .run(key, { dryRun: false, by: 'system:schedule' })
      .then((p) => this.deps.logger.info('scheduled billing run done', { period: key, status: p.status, invoices: p.invoicesIssued, failed: p.accountsFailed }))
      .catch((err: unknown) => this.deps.logger.error('scheduled billing run failed', { period: key, error: errorMessage(err) }))
      .finally(() => (this.running = null));
    await this.running;
  }

  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = null;
    await this.running;
  }
}
