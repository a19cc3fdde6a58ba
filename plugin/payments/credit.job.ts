import schedule from 'node-schedule';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PaymentsService } from './payments.service.js';

const BATCH = 200;

/**
 * Allocates credit to invoices issued since it was received: every few minutes it walks the
 * accounts holding credit and applies it. Until it runs, `outstanding` and balances already
 * count the credit, so nothing is chased in between. Safe on several instances at once: each
 * account's allocation runs under the account's payment lock, and the second finds nothing left.
 */
export class CreditJob {
  private job: schedule.Job | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly deps: { payments: PaymentsService; logger: Logger; cron?: string }) {}

  start(): void {
    this.job = schedule.scheduleJob(this.deps.cron ?? '*/5 * * * *', () => void this.tick());
  }

  /** One pass over every account with credit; returns how many allocations it wrote. */
  async tick(): Promise<number> {
    if (this.running) return 0;
    let written = 0;
    const pass = async () => {
      for (let after = 0; ; ) {
        const ids = await this.deps.payments.accountsWithCredit(after, BATCH);
        for (const id of ids) {
          try {
            written += (await this.deps.payments.applyCredit(id, 'system:credit')).length;
          } catch (err) {
            this.deps.logger.warn('credit not applied; the next pass retries', { accountId: id, error: errorMessage(err) });
          }
        }
        if (ids.length < BATCH) return;
        after = ids[ids.length - 1]!;
      }
    };
    this.running = pass().finally(() => (this.running = null));
    await this.running;
    if (written) this.deps.logger.info('credit applied to new invoices', { allocations: written });
    return written;
  }

  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = null;
    await this.running;
  }
}
