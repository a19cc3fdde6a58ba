import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Lease, LeaseRepository } from '../../jobs/index.js';
import type { InvoiceDocumentsService, RunCounts } from './documents.service.js';
import type { InvoiceMailService } from './mail.service.js';

export const DELIVERY_LEASE = 'invoicing.delivery';
const LEASE_TTL_MS = 5 * 60_000;

export interface DeliveryRun {
  /** False when another instance held the lease (nothing was done here). */
  ran: boolean;
  documents: RunCounts;
  mails: RunCounts;
}

const NONE: RunCounts = { done: 0, retrying: 0, failed: 0 };

/**
 * The delivery job: renders pending PDFs, then sends the e-mails whose PDFs are ready. One
 * instance at a time, under a database lease (plugin/jobs/lease.ts): each attempt is claimed in a
 * transaction that proves the lease first, so an instance that stalled and was overtaken stops
 * before claiming anything more.
 */
export class DeliveryJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<DeliveryRun> | null = null;
  private readonly holder = `delivery-${randomUUID()}`;

  constructor(
    private readonly deps: {
      leases: Pick<LeaseRepository, 'acquire' | 'prove' | 'release'>;
      documents: Pick<InvoiceDocumentsService, 'runDue'>;
      mail: Pick<InvoiceMailService, 'runDue'>;
      logger: Logger;
      intervalMs?: number;
      batch?: number;
      leaseTtlMs?: number;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.deps.logger.warn('invoice delivery run failed', { error: errorMessage(err) }));
    }, this.deps.intervalMs ?? 15_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One run (or the one already in progress in this process). */
  runOnce(): Promise<DeliveryRun> {
    if (!this.running) this.running = this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<DeliveryRun> {
    const { leases } = this.deps;
    const lease: Lease | null = await leases.acquire(DELIVERY_LEASE, this.holder, this.deps.leaseTtlMs ?? LEASE_TTL_MS);
    if (!lease) return { ran: false, documents: NONE, mails: NONE };
    try {
      const fence = (t: Parameters<LeaseRepository['prove']>[1]) => leases.prove(lease, t);
      const documents = await this.deps.documents.runDue({ limit: this.deps.batch ?? 50, fence });
      const mails = await this.deps.mail.runDue({ limit: this.deps.batch ?? 50, fence });
      if (documents.done + documents.failed + mails.done + mails.failed > 0) this.deps.logger.info('invoice delivery run', { documents, mails });
      return { ran: true, documents, mails };
    } finally {
      await leases.release(lease).catch(() => undefined);
    }
  }
}
