/**
 * A small process running what the agent runs for RADIUS: accounting server + session book +
 * spool (no shipper, so every record stays in the spool to be checked). Used by the crash test
 * (killed with SIGKILL mid-stream) and by the RADIUS benchmark.
 *
 *   npx tsx test/e2e/agent/crash/harness.ts --dir DIR --secret SECRET [--port 0] [--node-defaults]
 *
 * Prints one JSON line {"port": N} on stdout once it listens. SIGTERM stops it cleanly.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { systemClock } from '../../../../plugin/common/clock.js';
import { createLogger } from '../../../../plugin/common/logger.js';
import { MIKROTIK_DICTIONARY, tuneHeapForAgent } from '../../../../agent/main.js';
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
    'node-defaults': { type: 'boolean', default: false },
  },
});
// As `octet agent` does.
if (!values['node-defaults']) tuneHeapForAgent();
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

process.once('SIGTERM', () => {
  void (async () => {
    await server.stop();
    await book.stop();
    await spool.close();
    process.exit(0);
  })();
});
