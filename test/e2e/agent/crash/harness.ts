/**
 * A small process running what the agent runs for RADIUS: accounting server + session book +
 * spool (no shipper, so every record stays in the spool to be checked). Used by the crash test
 * (killed with SIGKILL mid-stream) and by the RADIUS benchmark.
 *
 *   npx tsx test/e2e/agent/crash/harness.ts --dir DIR --secret SECRET [--port 0]
 *
 * Prints one JSON line {"port": N} on stdout once it listens. SIGTERM stops it cleanly.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, constants as perf } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { systemClock } from '../../../../plugin/common/clock.js';
import { createLogger } from '../../../../plugin/common/logger.js';
import { MIKROTIK_DICTIONARY } from '../../../../agent/main.js';
import { createRadiusCodec } from '../../../../agent/radius/codec.js';
import { RadiusAccountingServer } from '../../../../agent/radius/server.js';
import { SessionBook } from '../../../../agent/radius/session-book.js';
import { Spool } from '../../../../agent/spool/spool.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    secret: { type: 'string' },
    port: { type: 'string', default: '0' },
    'max-bytes': { type: 'string', default: String(1024 ** 3) },
    /** Leave V8's heap settings at Node's defaults instead of the agent's (for comparison). */
    /** Print garbage-collection pauses and event-loop stalls on stderr when stopped (for benchmark investigations). */
    'gc-stats': { type: 'boolean', default: false },
  },
});
// As `octet agent` does.
if (!values.dir || !values.secret) throw new Error('usage: harness --dir DIR --secret SECRET [--port N]');

const logger = createLogger({ level: 'warn', format: 'json' });
const registry = new Registry();
const spool = await Spool.open({ dir: join(values.dir, 'spool'), maxBytes: Number(values['max-bytes']), logger, clock: systemClock, registry });
const { book, recentRecordIds } = await SessionBook.open({ stateDir: join(values.dir, 'state'), spool, logger });
const server = new RadiusAccountingServer({
  host: '127.0.0.1',
  port: Number(values.port),
  clients: [{ name: 'nas1', address: '127.0.0.1', secret: values.secret }],
  sink: spool,
  sessions: book,
  codec: createRadiusCodec([MIKROTIK_DICTIONARY]),
  clock: systemClock,
  logger,
  registry,
  knownRecordIds: recentRecordIds,
});
const { port } = await server.start();
book.start();
process.stdout.write(JSON.stringify({ port, pid: process.pid }) + '\n');

// For the memory benchmark: report this process's memory on request.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(JSON.stringify({ memory: process.memoryUsage(), openSessions: book.size }) + '\n');
});

const printStats = values['gc-stats'] ? gcStats() : undefined;

process.once('SIGTERM', () => {
  void (async () => {
    printStats?.();
    await server.stop();
    await book.stop();
    await spool.close();
    process.exit(0);
  })();
});

/** Collects GC pauses by kind and the event loop's delay; returns a function that prints them. */
function gcStats(): () => void {
  const kinds: Record<number, string> = {
    [perf.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [perf.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [perf.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [perf.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
  };
  const byKind = new Map<string, { n: number; ms: number; max: number; over5: number }>();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      const k = byKind.get(kind) ?? { n: 0, ms: 0, max: 0, over5: 0 };
      k.n++;
      k.ms += e.duration;
      k.max = Math.max(k.max, e.duration);
      if (e.duration > 5) k.over5++;
      byKind.set(kind, k);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  return () => {
    const gc = Object.fromEntries([...byKind].map(([k, v]) => [k, { n: v.n, totalMs: Math.round(v.ms), maxMs: Number(v.max.toFixed(1)), over5ms: v.over5 }]));
    const ms = (ns: number) => Number((ns / 1e6).toFixed(1));
    process.stderr.write(JSON.stringify({ gc, loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), p999: ms(loop.percentile(99.9)), max: ms(loop.max) } }) + '\n');
  };
}
