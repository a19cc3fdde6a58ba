import schedule from 'node-schedule';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { LeaseRepository } from '../jobs/index.js';
import type { HostSyncService, StreamResult } from './sync.service.js';

export const HOST_SYNC_LEASE = 'host-sync';

/** node-schedule's rule for "every N minutes". */
function everyMinutes(n: number): string {
  return n < 60 ? `*/${n} * * * *` : `0 */${Math.max(1, Math.floor(n / 60))} * * *`;
}

/**
 * The scheduled host sync. Every instance schedules it; the database lease lets one run at a
 * time (another instance, or the "sync now" button while a tick runs, is told so).
 */
export class HostSyncJob {
  private job: schedule.Job | null = null;
  private running: Promise<StreamResult[] | null> | null = null;
  private readonly holder = `host-sync:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly deps: { sync: HostSyncService; leases: Pick<LeaseRepository, 'acquire' | 'release'>; logger: Logger; everyMinutes: number; leaseTtlMs: number }) {}

  start(): void {
    this.job = schedule.scheduleJob(everyMinutes(this.deps.everyMinutes), () => void this.tick());
  }

  /** One run under the lease; null when another run holds it. */
  async tick(options: { force?: boolean } = {}): Promise<StreamResult[] | null> {
    if (this.running) return this.running;
    this.running = (async () => {
      const lease = await this.deps.leases.acquire(HOST_SYNC_LEASE, this.holder, this.deps.leaseTtlMs);
      if (!lease) {
        this.deps.logger.debug('host sync skipped: another instance holds the lease');
        return null;
      }
      try {
        return await this.deps.sync.runOnce(options);
      } finally {
        await this.deps.leases.release(lease).catch(() => undefined);
      }
    })()
      .catch((err: unknown) => {
        this.deps.logger.error('host sync failed', { error: errorMessage(err) });
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    this.job?.cancel();
    this.job = null;
    await this.running;
  }
}
