import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { AgentStatusReport } from '../../plugin/common/wire.js';
import { buildStatusReport, type StatusFacts } from './report.js';

export interface StatusReporterDeps {
  facts: () => Omit<StatusFacts, 'now'>;
  post: (report: AgentStatusReport, signal: AbortSignal) => Promise<{ kind: string; reason?: string }>;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}

/**
 * Posts the agent's status to the plugin every minute, so that a wrong router password or an
 * unreachable router shows in the panel, not only in the agent's /healthz. A failed post is
 * logged once per run of failures and tried again at the next tick; a report is a snapshot, so
 * nothing is queued.
 */
export class StatusReporter {
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private failing = false;
  private sending: Promise<void> | null = null;

  constructor(private readonly deps: StatusReporterDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sendNow(), this.deps.intervalMs ?? 60_000);
    this.timer.unref();
    // First report soon after start, once the pollers had a chance to run.
    setTimeout(() => void this.sendNow(), 5_000).unref();
  }

  sendNow(): Promise<void> {
    this.sending ??= this.send().finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  private async send(): Promise<void> {
    if (this.abort.signal.aborted) return;
    try {
      const report = buildStatusReport({ ...this.deps.facts(), now: this.deps.clock.now() });
      const out = await this.deps.post(report, this.abort.signal);
      if (out.kind !== 'ok') throw new Error(out.reason ?? out.kind);
      if (this.failing) this.deps.logger.info('status: reporting to the plugin again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.deps.logger.warn('status: could not report to the plugin', { error: errorMessage(err) });
      this.failing = true;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.sending?.catch(() => undefined);
  }
}
