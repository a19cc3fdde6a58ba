import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { EnforcementItem } from '../../plugin/common/wire.js';
import { backoffDelay, sleep } from '../shipper/backoff.js';
import { DeviceUnreachableError, type DeviceResult, type EnforcementDevice } from './types.js';

export interface WorkerHost {
  /** The whole desired state of the device (for a full reconciliation). */
  desiredOf(device: string): EnforcementItem[];
  /** Whether `item` is already applied at its version (the state file). */
  isApplied(item: EnforcementItem): boolean;
  /** Results of one run (per service: null = in the desired state, else why not). */
  report(device: string, items: readonly EnforcementItem[], outcomes: Map<number, string | null>, changed: Set<number>): Promise<void>;
}

export interface DeviceStatus {
  device: string;
  up: boolean;
  lastError: string | null;
  lastReconciledAt: string | null;
  lastChanges: number;
}

/**
 * One loop per router or NAS: applies changes as they come, runs a full reconciliation when asked
 * (on schedule, after the device was unreachable, when its connection dropped), and backs off
 * while the device is unreachable. Runs never overlap on one device.
 */
export class DeviceWorker {
  private readonly pending = new Map<number, EnforcementItem>();
  private fullWanted = true;
  private failures = 0;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly stopper = new AbortController();
  private status: DeviceStatus;
  /** Woken when the worker has nothing left to do, and after every run. */
  private idleWaiters: Array<() => void> = [];
  private runWaiters: Array<() => void> = [];

  constructor(
    readonly device: EnforcementDevice,
    private readonly host: WorkerHost,
    private readonly o: { clock: Clock; logger: Logger; maxBackoffMs: number; retryFailedMs?: number; random?: () => number },
  ) {
    this.status = { device: device.name, up: false, lastError: null, lastReconciledAt: null, lastChanges: 0 };
    // A dropped connection may be a reboot that lost state: compare everything once it is back.
    device.onDrop = () => this.reconcileSoon();
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    await this.loop;
    await this.device.close();
  }

  /** A desired change heard on the stream or in a snapshot. */
  enqueue(item: EnforcementItem): void {
    this.pending.set(item.serviceId, item);
    this.wake?.();
  }

  /** Compare the whole device with the desired state at the next chance. */
  reconcileSoon(): void {
    this.fullWanted = true;
    this.wake?.();
  }

  private retryTimer: NodeJS.Timeout | null = null;

  /**
   * A service the device could not bring to its state (an offline subscriber with no address yet,
   * a NAK) is tried again within a minute rather than at the next scheduled reconciliation.
   */
  private retrySoon(): void {
    if (this.retryTimer || this.stopper.signal.aborted) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.reconcileSoon();
    }, this.o.retryFailedMs ?? 60_000);
    this.retryTimer.unref();
  }

  snapshot(): DeviceStatus {
    return { ...this.status };
  }

  /** Resolves when no run is pending (for tests and the benchmark). */
  async settled(): Promise<void> {
    while (this.pending.size > 0 || this.fullWanted || this.running) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Resolves when the next run ends, successful or not. */
  nextRun(): Promise<void> {
    return new Promise((r) => this.runWaiters.push(r));
  }

  private running = false;

  private ran(): void {
    this.running = false;
    for (const w of this.runWaiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      if (this.pending.size === 0 && !this.fullWanted) {
        for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      const full = this.fullWanted;
      this.fullWanted = false;
      const items = full
        ? this.host.desiredOf(this.device.name).filter((i) => this.device.observable || !this.host.isApplied(i))
        : [...this.pending.values()];
      // A full run covers what is pending too (desiredOf holds the newest versions).
      this.pending.clear();
      this.running = true;
      try {
        const result: DeviceResult = await this.device.enforce(items, full && this.device.observable ? 'full' : 'items', signal);
        this.failures = 0;
        this.status = { ...this.status, up: true, lastError: null, lastChanges: result.changes, ...(full ? { lastReconciledAt: this.o.clock.now().toISOString() } : {}) };
        if (full && result.changes > 0) this.o.logger.info('enforcer: reconciled', { device: this.device.name, changes: result.changes });
        await this.host.report(this.device.name, items, result.outcomes, result.changed);
        if (this.device.observable && [...result.outcomes.values()].some((e) => e !== null)) this.retrySoon();
      } catch (err) {
        const reason = errorMessage(err);
        this.failures++;
        this.status = { ...this.status, up: false, lastError: reason };
        this.o.logger.warn('enforcer: device unreachable, retrying', { device: this.device.name, failures: this.failures, error: reason });
        await this.host.report(this.device.name, items, new Map(items.map((i) => [i.serviceId, reason])), new Set()).catch(() => undefined);
        // When it is back, everything is compared again: it may have rebooted and lost state.
        if (err instanceof DeviceUnreachableError || this.device.observable) this.fullWanted = true;
        for (const i of items) if (!this.pending.has(i.serviceId) && !full) this.pending.set(i.serviceId, i);
        this.ran();
        await sleep(backoffDelay(this.failures - 1, { initialMs: 1000, maxMs: this.o.maxBackoffMs }, this.o.random ?? Math.random), signal);
        continue;
      }
      this.ran();
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
