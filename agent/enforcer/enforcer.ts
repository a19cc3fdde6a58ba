import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { EnforcementApplied, EnforcementItem, EnforcementSnapshot, EnforcementState } from '../../plugin/common/wire.js';
import { backoffDelay, sleep } from '../shipper/backoff.js';
import { DeviceWorker, type DeviceStatus, type WorkerHost } from './device-worker.js';
import type { PluginLink } from './plugin-link.js';
import type { AppliedEntry, AppliedStateFile } from './state-file.js';
import type { EnforcementDevice } from './types.js';
import { assessEnforcer, type EnforcerHealth } from './health.js';

type AppliedItem = EnforcementApplied['items'][number];

export interface EnforcerOptions {
  link: Pick<PluginLink, 'snapshot' | 'follow' | 'postApplied'>;
  devices: EnforcementDevice[];
  stateFile: Pick<AppliedStateFile, 'load' | 'save'>;
  clock: Clock;
  logger: Logger;
  reconcileMs: number;
  maxBackoffMs: number;
  retryFailedMs?: number;
  random?: () => number;
}

/**
 * The agent's enforcer: keeps the plugin's desired state (snapshot on every (re)connect, then the
 * event stream), hands changes to one worker per device, reconciles every device on a schedule,
 * and reports what was applied (or why not) with the version. Versions only move forward, so a
 * replayed or reordered event changes nothing.
 */
export class Enforcer implements WorkerHost {
  private readonly desired = new Map<number, EnforcementItem>();
  private applied = new Map<number, AppliedEntry>();
  /** What was last reported per service, so a confirmation is not reported again and again. */
  private readonly reported = new Map<number, string>();
  private readonly outbox: AppliedItem[] = [];
  private readonly workers = new Map<string, DeviceWorker>();
  private readonly stopper = new AbortController();
  private loops: Promise<void>[] = [];
  private reconcileTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private streamUp = false;
  private lastStreamError: string | null = null;

  constructor(private readonly o: EnforcerOptions) {
    for (const d of o.devices) this.workers.set(d.name, new DeviceWorker(d, this, { clock: o.clock, logger: o.logger, maxBackoffMs: o.maxBackoffMs, ...(o.retryFailedMs ? { retryFailedMs: o.retryFailedMs } : {}), ...(o.random ? { random: o.random } : {}) }));
  }

  async start(): Promise<void> {
    this.applied = await this.o.stateFile.load();
    // What was applied before a restart was reported then; a confirmation is not news.
    for (const [id, a] of this.applied) this.reported.set(id, `${a.version}|ok`);
    this.loops.push(this.followLoop());
    this.reconcileTimer = setInterval(() => this.reconcileAll(), this.o.reconcileMs);
    this.reconcileTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await Promise.all([...this.loops, ...[...this.workers.values()].map((w) => w.stop())]);
    await this.flushing;
  }

  reconcileAll(): void {
    for (const w of this.workers.values()) w.reconcileSoon();
    // Reports the plugin could not take earlier go out with the schedule at the latest.
    void this.flush();
  }

  worker(device: string): DeviceWorker | undefined {
    return this.workers.get(device);
  }

  status(): { stream: { up: boolean; lastError: string | null }; devices: DeviceStatus[]; pendingReports: number } {
    return { stream: { up: this.streamUp, lastError: this.lastStreamError }, devices: [...this.workers.values()].map((w) => w.snapshot()), pendingReports: this.outbox.length };
  }

  /** For the agent's /healthz: pending changes per device, the last applied version, unreachable devices. */
  health(): EnforcerHealth {
    return assessEnforcer({
      stream: { up: this.streamUp, lastError: this.lastStreamError },
      devices: [...this.workers.values()].map((w) => w.snapshot()),
      pendingReports: this.outbox.length,
      items: [...this.desired.values()].map((i) => ({ device: i.device, applied: this.isApplied(i) })),
      appliedVersions: [...this.applied.values()].map((a) => a.version),
    });
  }

  /** Resolves when every device has nothing left to do and every report was posted. */
  async settled(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.settled()));
    await this.flush();
  }

  // --- the plugin side -------------------------------------------------------------------------

  private async followLoop(): Promise<void> {
    const signal = this.stopper.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        // The snapshot is read once the stream is open (its events wait meanwhile), so that no
        // change falls between the two; versions make the overlap harmless.
        await this.o.link.follow(
          signal,
          async () => {
            this.acceptSnapshot(await this.o.link.snapshot(signal));
            this.streamUp = true;
            this.lastStreamError = null;
            failures = 0;
          },
          (item) => this.accept(item),
          (reason) => this.o.logger.warn('enforcer: malformed desired-state event skipped', { reason }),
        );
        if (signal.aborted) break;
        this.lastStreamError = 'stream ended';
      } catch (err) {
        if (signal.aborted) break;
        this.lastStreamError = errorMessage(err);
      }
      this.streamUp = false;
      failures++;
      this.o.logger.warn('enforcer: plugin stream lost, reconnecting', { error: this.lastStreamError, failures });
      await sleep(backoffDelay(failures - 1, { initialMs: 1000, maxMs: this.o.maxBackoffMs }, this.o.random ?? Math.random), signal);
    }
  }

  private acceptSnapshot(snap: EnforcementSnapshot): void {
    const present = new Set(snap.items.map((i) => i.serviceId));
    // Services gone from the snapshot are no longer enforced here; a full reconciliation of an
    // observable device removes what Octet had put there for them.
    for (const id of [...this.desired.keys()]) if (!present.has(id)) this.desired.delete(id);
    for (const item of snap.items) this.accept(item, true);
    // Devices are touched only once the desired state is known: a full reconciliation against an
    // empty desired state would lift every suspension.
    for (const w of this.workers.values()) w.start();
    this.reconcileAll();
  }

  private accept(item: EnforcementItem, fromSnapshot = false): void {
    const current = this.desired.get(item.serviceId);
    if (current && current.version > item.version) return;
    if (current && current.version === item.version && !fromSnapshot) return;
    this.desired.set(item.serviceId, item);
    if (current && current.device !== item.device) this.workers.get(current.device)?.reconcileSoon();
    const worker = this.workers.get(item.device);
    if (!worker) {
      this.queueReport({ item, ok: false, error: `device ${item.device} is not configured for enforcement on this agent` });
      void this.flush();
      return;
    }
    // Already applied at this version before a restart: the full reconciliation confirms it.
    if (this.isApplied(item)) return;
    worker.enqueue(item);
  }

  // --- WorkerHost ------------------------------------------------------------------------------

  desiredOf(device: string): EnforcementItem[] {
    return [...this.desired.values()].filter((i) => i.device === device);
  }

  isApplied(item: EnforcementItem): boolean {
    const a = this.applied.get(item.serviceId);
    return a !== undefined && a.version >= item.version && a.device === item.device;
  }

  previousState(serviceId: number): EnforcementState | null {
    return this.applied.get(serviceId)?.state ?? null;
  }

  async report(device: string, items: readonly EnforcementItem[], outcomes: Map<number, string | null>, changed: Set<number>): Promise<void> {
    let dirty = false;
    for (const item of items) {
      // A newer version may have arrived while the device worked: its own run reports it.
      const now = this.desired.get(item.serviceId);
      if (!now || now.version !== item.version || now.device !== device) continue;
      const error = outcomes.get(item.serviceId) ?? null;
      if (error === null) {
        const prev = this.applied.get(item.serviceId);
        if (!prev || prev.version !== item.version || prev.state !== item.desired || prev.rate !== item.rate || prev.device !== device) {
          this.applied.set(item.serviceId, { version: item.version, state: item.desired, rate: item.rate, device });
          dirty = true;
        }
      }
      const key = `${item.version}|${error ?? 'ok'}`;
      if (this.reported.get(item.serviceId) === key && !changed.has(item.serviceId)) continue;
      this.queueReport({ item, ok: error === null, error });
    }
    if (dirty) await this.o.stateFile.save(this.applied).catch((err: unknown) => this.o.logger.error('enforcer: cannot save state file', { error: errorMessage(err) }));
    await this.flush();
  }

  // --- applied reports -------------------------------------------------------------------------

  private queueReport(r: { item: EnforcementItem; ok: boolean; error: string | null }): void {
    const { item } = r;
    this.reported.set(item.serviceId, `${item.version}|${r.error ?? 'ok'}`);
    this.outbox.push({
      serviceId: item.serviceId,
      version: item.version,
      device: item.device,
      // When it failed, the service stays as it was last applied (a NAK changes nothing).
      applied: r.ok ? item.desired : (this.applied.get(item.serviceId)?.state ?? 'active'),
      rate: r.ok ? item.rate : (this.applied.get(item.serviceId)?.rate ?? null),
      ok: r.ok,
      error: r.error === null ? null : r.error.slice(0, 1000),
      at: this.o.clock.now().toISOString(),
    });
  }

  /** Posts queued reports (10,000 at most per request); a failure keeps them for the next try. */
  async flush(): Promise<void> {
    if (this.flushing) {
      // One poster at a time; what was queued meanwhile goes out in the same loop.
      await this.flushing;
      if (this.outbox.length === 0) return;
    }
    const run = this.post();
    this.flushing = run;
    try {
      await run;
    } finally {
      if (this.flushing === run) this.flushing = null;
    }
  }

  private async post(): Promise<void> {
    while (this.outbox.length > 0) {
      const batch = this.outbox.slice(0, 10_000);
      try {
        await this.o.link.postApplied({ items: batch }, AbortSignal.timeout(30_000));
      } catch (err) {
        this.o.logger.warn('enforcer: applied report not delivered; kept for the next try', { items: batch.length, error: errorMessage(err) });
        return;
      }
      this.outbox.splice(0, batch.length);
    }
  }
}
