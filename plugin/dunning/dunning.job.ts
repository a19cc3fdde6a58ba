import schedule from 'node-schedule';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { LeaseRepository } from '../jobs/index.js';
import { DUNNING_LEASE, type DunningService } from './dunning.service.js';

/** node-schedule's rule for "every N minutes" (steps restart at the hour; past an hour, whole hours). */
export function everyMinutesRule(n: number): string {
  return n < 60 ? `*/${n} * * * *` : `0 */${Math.max(1, Math.floor(n / 60))} * * *`;
}

/**
 * The scheduled dunning evaluation. Every instance schedules it; the lease lets one evaluate at a
 * time and the others skip the tick. Payments do not wait for it: they restore at once.
 */
export class DunningJob {
  private job: schedule.Job | null = null;
  private running: Promise<unknown> | null = null;
  private readonly holder = `dunning-job:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly deps: { dunning: DunningService; leases: Pick<LeaseRepository, 'acquire' | 'release'>; logger: Logger; everyMinutes: number; leaseTtlMs: number; timezone: string }) {}

  start(): void {
    this.job = schedule.scheduleJob({ rule: everyMinutesRule(this.deps.everyMinutes), tz: this.deps.timezone }, () => void this.tick());
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = (async () => {
      const lease = await this.deps.leases.acquire(DUNNING_LEASE, this.holder, this.deps.leaseTtlMs);
      if (!lease) return this.deps.logger.debug('dunning evaluation skipped: another instance holds the lease');
      try {
        await this.deps.dunning.evaluate({ dryRun: false, actor: 'system:dunning', lease });
      } finally {
        await this.deps.leases.release(lease).catch(() => undefined);
      }
    })()
      .catch((err: unknown) => this.deps.logger.error('dunning evaluation failed', { error: errorMessage(err) }))
      .finally(() => (this.running = null));
    await this.running;
  }

  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = null;
    await this.running;
  }
}
