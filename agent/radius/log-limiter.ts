import type { Clock } from '../../plugin/common/clock.js';
import type { Logger } from '../../plugin/common/logger.js';

/**
 * Logs at most one line per key and interval, with the count of lines held back: garbage or a
 * misconfigured NAS can send thousands of packets a second, and the log must stay readable.
 */
export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 10_000,
  ) {}

  warn(key: string, message: string, meta: Record<string, unknown> = {}): void {
    const now = this.clock.now().getTime();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger.warn(message, suppressed > 0 ? { ...meta, suppressedSinceLast: suppressed } : meta);
  }
}
