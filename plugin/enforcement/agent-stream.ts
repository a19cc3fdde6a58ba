import type { Response } from 'express';
import type { Logger } from '../common/logger.js';
import type { EnforcementItem } from '../common/wire.js';
import type { EnforcementService } from './enforcement.service.js';
import type { EnforcedService } from './ports.js';

/**
 * One agent's `GET /enforcement/stream` (server-sent events). On connect it sends the agent's
 * whole desired state as `desired` events (replays are harmless: the agent applies only newer
 * versions), so nothing changed between the agent's snapshot and its connect is lost. Then:
 * - a change committed in this process wakes it at once (the notifier);
 * - every `pollMs` it re-reads which services are on the agent's routers and their versions, so
 *   a change committed by another plugin instance (or a service moved to one of its routers)
 *   arrives within that time;
 * - `: ping` every 15 s keeps proxies from closing an idle connection.
 * The agent's token is checked again on each re-read: a revoked or rotated token ends the stream.
 */
export class AgentStream {
  private services = new Map<number, EnforcedService>();
  private readonly sent = new Map<number, number>();
  private chain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly deps: { agentName: string; enforcement: EnforcementService; res: Response; pollMs: number; pingMs: number; logger: Logger; stillAuthorized: () => Promise<boolean>; onClose: () => void },
  ) {}

  async open(): Promise<void> {
    const { res } = this.deps;
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write(': connected\n\n');
    this.unsubscribe = this.deps.enforcement.notifier.subscribe((ids) => {
      if (ids.some((id) => this.services.has(id))) this.schedule(false);
    });
    this.timers.push(setInterval(() => this.schedule(true), this.deps.pollMs));
    this.timers.push(setInterval(() => this.write(': ping\n\n'), this.deps.pingMs));
    res.on('close', () => this.close());
    this.schedule(true);
    await this.chain;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe();
    this.deps.res.end();
    this.deps.onClose();
  }

  /** Checks run one after another, so events leave in version order. */
  private schedule(refreshServices: boolean): void {
    this.chain = this.chain.then(() => this.check(refreshServices)).catch((err) => {
      // The database may be briefly away; the next tick tries again.
      this.deps.logger.warn('enforcement stream check failed', { agent: this.deps.agentName, err });
    });
  }

  private async check(refreshServices: boolean): Promise<void> {
    if (this.closed) return;
    if (refreshServices) {
      if (!(await this.deps.stillAuthorized())) return this.close();
      this.services = new Map((await this.deps.enforcement.servicesOfAgent(this.deps.agentName)).map((s) => [s.id, s]));
    }
    // Versions first (one narrow query); whole items only for what changed.
    const versions = await this.deps.enforcement.versionsOf([...this.services.keys()]);
    const changed = [...this.services.values()].filter((s) => (versions.get(s.id) ?? 0) > (this.sent.get(s.id) ?? 0));
    if (changed.length === 0) return;
    const snapshot = await this.deps.enforcement.snapshotOf(changed);
    for (const item of snapshot.items) {
      if ((this.sent.get(item.serviceId) ?? 0) >= item.version) continue;
      this.send(item);
    }
  }

  private send(item: EnforcementItem): void {
    this.sent.set(item.serviceId, item.version);
    this.write(`event: desired\ndata: ${JSON.stringify(item)}\n\n`);
  }

  private write(text: string): void {
    if (!this.closed) this.deps.res.write(text);
  }
}
