import { Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../../plugin/common/logger.js';
import type { SpoolStats } from './spool.js';

export interface SpoolMetrics {
  fsyncs: Counter;
  refused: Counter;
}

/** Spool gauges are read from the spool when scraped, so they are never stale. */
export function registerSpoolMetrics(registry: Registry | undefined, stats: () => SpoolStats): SpoolMetrics {
  const registers = [registry ?? new Registry()];
  new Gauge({
    name: 'octet_agent_spool_depth_records',
    help: 'Records in the spool not yet acknowledged by the plugin',
    registers,
    collect() {
      this.set(stats().depth);
    },
  });
  new Gauge({
    name: 'octet_agent_spool_bytes',
    help: 'Bytes of spool segments on disk',
    registers,
    collect() {
      this.set(stats().bytes);
    },
  });
  new Gauge({
    name: 'octet_agent_spool_failed',
    help: '1 while the spool refuses records after a write it could not cut back (check the disk)',
    registers,
    collect() {
      this.set(stats().failed ? 1 : 0);
    },
  });
  new Gauge({
    name: 'octet_agent_spool_max_bytes',
    help: 'Configured spool size limit; appends are refused beyond it',
    registers,
    collect() {
      this.set(stats().maxBytes);
    },
  });
  new Gauge({
    name: 'octet_agent_shipping_lag_seconds',
    help: 'Age of the oldest record not yet acknowledged by the plugin',
    registers,
    collect() {
      this.set(stats().lagMs / 1000);
    },
  });
  return {
    fsyncs: new Counter({ name: 'octet_agent_spool_fsyncs_total', help: 'Group commits (one durable write each: O_DSYNC, or write + fdatasync)', registers }),
    refused: new Counter({
      name: 'octet_agent_spool_refused_records_total',
      help: 'Records refused because the spool was full (the RADIUS NAS retries them)',
      registers,
    }),
  };
}

/**
 * Says loudly, once per crossing, that the spool is filling up: at 80% a warning, at 90% an
 * error. A full spool means RADIUS accounting stops being acknowledged.
 */
export class FillLevel {
  private level: 0 | 80 | 90 = 0;
  constructor(
    private readonly logger: Logger,
    private readonly dir: string,
  ) {}

  update(bytes: number, maxBytes: number): void {
    const pct = (bytes / maxBytes) * 100;
    if (pct >= 90 && this.level < 90) {
      this.level = 90;
      this.logger.error('SPOOL ALMOST FULL: 90% used; at 100% accounting is refused. Check the plugin connection.', {
        dir: this.dir,
        bytes,
        maxBytes,
      });
    } else if (pct >= 80 && this.level < 80) {
      this.level = 80;
      this.logger.warn('SPOOL FILLING UP: 80% used. Check the plugin connection.', { dir: this.dir, bytes, maxBytes });
    } else if (pct < 70 && this.level > 0) {
      this.level = 0;
      this.logger.info('spool back below 70%', { dir: this.dir, bytes, maxBytes });
    }
  }
}
