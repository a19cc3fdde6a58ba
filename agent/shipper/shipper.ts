import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { InventorySnapshot, ObservationBatch } from '../../plugin/common/wire.js';
import type { SpoolEntry, SpoolStats } from '../spool/spool.js';
import type { InventorySink } from '../types.js';
import { createHash } from 'node:crypto';
import { backoffDelay, sleep as realSleep, type BackoffPolicy } from './backoff.js';
import type { PluginClient, PostOutcome } from './plugin-client.js';

/** What the shipper needs from the spool. */
export interface ShipperSpool {
  readonly id: string;
  readUnacked(max: number): Promise<SpoolEntry[]>;
  ack(seq: number): Promise<void>;
  onAppend(listener: () => void): () => void;
  stats(): SpoolStats;
}

export interface ShipperOptions {
  spool: ShipperSpool;
  client: Pick<PluginClient, 'postBatch' | 'postInventory'>;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
  /** At most 1000 records per batch (the plugin's limit is higher; smaller batches retry cheaper). */
  batchSize?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Re-reads the spool at least this often even without an append signal. */
  idlePollMs?: number;
}

export interface ShipperStatus {
  lastAckAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  inventoryPending: number;
}

const MAX_BATCH = 1000;

/**
 * Ships the spool to the plugin, oldest first, one batch at a time. A batch keeps its id across
 * retries (the plugin recognises a repeat and counts nothing twice), and the spool is acknowledged
 * only after a 200 with a matching BatchAck. There is no retry limit: an outage of hours just
 * means a deep spool that drains once the plugin answers again.
 */
export class Shipper implements InventorySink {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly batchSize: number;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private lastAckAt: Date | null = null;
  private lastError: string | null = null;
  private failures = 0;
  private readonly inventory = new Map<string, InventorySnapshot>();
  private inventoryWake: (() => void) | undefined;
  private readonly m: { batches: Counter<'outcome'>; acked: Counter; inventory: Counter<'outcome'>; failures: Gauge };

  constructor(private readonly opts: ShipperOptions) {
    this.batchSize = Math.min(MAX_BATCH, Math.max(1, opts.batchSize ?? MAX_BATCH));
    this.backoff = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? realSleep;
    const registers = [opts.registry ?? new Registry()];
    this.m = {
      batches: new Counter({ name: 'octet_agent_shipper_batches_total', help: 'Batch POSTs by outcome', labelNames: ['outcome'], registers }),
      acked: new Counter({ name: 'octet_agent_shipper_records_acked_total', help: 'Records acknowledged by the plugin', registers }),
      inventory: new Counter({ name: 'octet_agent_shipper_inventory_posts_total', help: 'Inventory POSTs by outcome', labelNames: ['outcome'], registers }),
      failures: new Gauge({ name: 'octet_agent_shipper_consecutive_failures', help: 'Failed batch POSTs since the last success', registers }),
    };
  }

  start(): void {
    this.loops = [this.shipLoop(), this.inventoryLoop()];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.inventoryWake?.();
    await Promise.all(this.loops);
  }

  /** InventorySink: keep the newest snapshot per router; it is posted (and retried) on its own loop. */
  publish(snapshot: InventorySnapshot): void {
    this.inventory.set(snapshot.routerName, snapshot);
    this.inventoryWake?.();
  }

  status(): ShipperStatus {
    return {
      lastAckAt: this.lastAckAt?.toISOString() ?? null,
      lastError: this.lastError,
      consecutiveFailures: this.failures,
      inventoryPending: this.inventory.size,
    };
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async shipLoop(): Promise<void> {
    let batch: { body: ObservationBatch; lastSeq: number } | undefined;
    let size = this.batchSize;
    while (!this.stopped) {
      try {
        if (!batch) {
          const entries = await this.opts.spool.readUnacked(size);
          if (entries.length === 0) {
            await this.waitForAppend();
            continue;
          }
          const first = entries[0]!.seq;
          const last = entries[entries.length - 1]!.seq;
          batch = {
            body: batchOf(this.opts.spool.id, first, last, entries.map((e) => e.record)),
            lastSeq: last,
          };
        }
        batch.body.sentAt = this.opts.clock.now().toISOString();
        const outcome = await this.opts.client.postBatch(batch.body, this.abort.signal);
        if (this.stopped) break;
        if (outcome.kind === 'ok') {
          await this.opts.spool.ack(batch.lastSeq);
          this.onAck(batch.body, outcome.value);
          batch = undefined;
          size = this.batchSize;
          continue;
        }
        if (outcome.kind === 'too-large' && batch.body.records.length > 1) {
          // Nothing of it was counted; re-read a smaller batch (a new range, so a new id).
          size = Math.max(1, Math.floor(batch.body.records.length / 2));
          batch = undefined;
          this.m.batches.inc({ outcome: 'too-large' });
          continue;
        }
        await this.onFailure(describe(outcome));
      } catch (err) {
        // A spool read or ack failed (disk trouble). The batch is kept: re-posting it is harmless.
        await this.onFailure(`spool: ${errorMessage(err)}`);
      }
    }
  }

  private onAck(body: ObservationBatch, ack: { duplicateBatch: boolean; accepted: number; duplicateRecords: number; rejected: unknown[] }): void {
    this.m.batches.inc({ outcome: ack.duplicateBatch ? 'duplicate' : 'ok' });
    this.m.acked.inc(body.records.length);
    if (this.failures > 0) this.opts.logger.info('shipper: the plugin accepts batches again', { afterFailures: this.failures });
    this.failures = 0;
    this.m.failures.set(0);
    this.lastError = null;
    this.lastAckAt = this.opts.clock.now();
    if (ack.rejected.length > 0) {
      this.opts.logger.warn('shipper: the plugin quarantined records of a batch', {
        batchId: body.batchId,
        rejected: ack.rejected.length,
        first: ack.rejected[0],
      });
    }
  }

  private async onFailure(reason: string): Promise<void> {
    this.failures++;
    this.lastError = reason;
    this.m.failures.set(this.failures);
    this.m.batches.inc({ outcome: reason.startsWith('unauthorized') ? 'unauthorized' : 'failed' });
    if (this.failures === 1 || this.failures % 10 === 0) {
      const level = reason.startsWith('unauthorized') ? 'error' : 'warn';
      this.opts.logger[level]('shipper: batch not delivered; will retry', {
        reason,
        failures: this.failures,
        spoolDepth: this.opts.spool.stats().depth,
      });
    }
    await this.sleep(backoffDelay(this.failures - 1, this.backoff, this.random), this.abort.signal);
  }

  private async waitForAppend(): Promise<void> {
    let off: (() => void) | undefined;
    const appended = new Promise<void>((resolve) => (off = this.opts.spool.onAppend(resolve)));
    // A real timer, not the injected backoff sleep: this is a safety net, not a retry delay.
    await Promise.race([appended, realSleep(this.opts.idlePollMs ?? 5000, this.abort.signal)]);
    off?.();
  }

  private async inventoryLoop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const next = this.inventory.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => (this.inventoryWake = resolve));
        this.inventoryWake = undefined;
        continue;
      }
      const snapshot = next.value;
      const outcome = await this.opts.client.postInventory(snapshot, this.abort.signal);
      if (this.stopped) break;
      this.m.inventory.inc({ outcome: outcome.kind });
      if (outcome.kind === 'ok') {
        attempt = 0;
        // A newer snapshot published meanwhile stays queued.
        if (this.inventory.get(snapshot.routerName) === snapshot) this.inventory.delete(snapshot.routerName);
        continue;
      }
      if (attempt === 0) this.opts.logger.warn('shipper: inventory not delivered; will retry', { router: snapshot.routerName, reason: describe(outcome) });
      // Move it to the back so one router's failure does not hold up the others.
      const current = this.inventory.get(snapshot.routerName);
      if (current) {
        this.inventory.delete(snapshot.routerName);
        this.inventory.set(snapshot.routerName, current);
      }
      await this.sleep(backoffDelay(attempt++, this.backoff, this.random), this.abort.signal);
    }
  }
}

function describe(o: PostOutcome<unknown>): string {
  switch (o.kind) {
    case 'unauthorized':
      return `unauthorized (HTTP ${o.status}): check plugin.token`;
    case 'too-large':
      return 'HTTP 413';
    case 'failed':
      return o.reason;
    default:
      return 'ok';
  }
}

/**
 * A batch's id: the spool's identity, the records' sequence range and a digest of the records, so
 * a retry of the same records (even after an agent restart) carries the same id, while an agent
 * restored from a VM snapshot, which reuses its ranges for other records, sends other ids.
 */
export function batchOf(spoolId: string, first: number, last: number, records: ObservationBatch['records']): ObservationBatch {
  const digest = createHash('sha256').update(JSON.stringify(records)).digest('base64url').slice(0, 22);
  let batchId = `${spoolId}-${first}-${last}-${digest}`;
  // The wire allows 64 characters: past that (huge sequence numbers), a digest of it all.
  if (batchId.length > 64) batchId = createHash('sha256').update(batchId).digest('hex');
  return { batchId, sentAt: '', records };
}
