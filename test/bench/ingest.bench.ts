/**
 * Agent API ingest throughput into MariaDB: observations stored per second through the real
 * HTTP API (plugin listening on 127.0.0.1, agent bearer token, JSON batches of 1,000 records,
 * each batch one transaction with multi-row INSERT IGNORE).
 *
 *   npx tsx test/bench/ingest.bench.ts [--batches 500] [--size 1000] [--concurrency 4] [--with-rollup]
 *
 * Needs MariaDB/MySQL at OCTET_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306); creates and
 * drops its own database. By default the scheduled rollup is not started, so the figure is ingest
 * alone; --with-rollup starts the module's jobs too (the near-synchronous rollup then runs 2 s
 * after batches arrive, on the same database and in the same process, as in production).
 * Prints human-readable lines and one JSON line. Target: >= 20,000 observations/s.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { startPlugin } from '../../plugin/main.js';
import { buildIngest, ingestModule } from '../../plugin/ingest/index.js';
import { usageModule } from '../../plugin/usage/index.js';
import { createTestDatabase } from '../support/databases.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '500' },
    size: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    'with-rollup': { type: 'boolean', default: false },
  },
});
const BATCHES = Number(values.batches);
const SIZE = Number(values.size);
const CONCURRENCY = Number(values.concurrency);
const SESSIONS = 20_000;
const DAY0 = Date.UTC(2026, 2, 1);


function body(b: number): string {
  const records: SessionObservation[] = [];
  for (let i = 0; i < SIZE; i++) {
    const n = b * SIZE + i;
    const s = n % SESSIONS;
    const round = Math.floor(n / SESSIONS) + 1;
    records.push({
      recordId: randomUUID(),
      source: 'radius',
      sourceName: `nas-${s % 8}`,
      login: `subscriber${s}`,
      sessionId: `sess-${s.toString(16).padStart(8, '0')}`,
      sessionStart: new Date(DAY0).toISOString(),
      observedAt: new Date(DAY0 + round * 300_000).toISOString(),
      downloadOctets: String(BigInt(round) * 7_340_032n + (1n << 32n)),
      uploadOctets: String(round * 524_288),
      ended: false,
      framedIp: `100.64.${(s >> 8) & 255}.${s & 255}`,
    });
  }
  return JSON.stringify({ batchId: randomUUID(), sentAt: new Date().toISOString(), records });
}

const database = await createTestDatabase('mysql');
const config = pluginConfigSchema.parse({ db: { url: database.url }, http: { host: '127.0.0.1', port: 0 } });
const WITH_ROLLUP = values['with-rollup'] === true;
const plugin = await startPlugin(config, { logger: nullLogger, clock: new ManualClock('2026-04-01T00:00:00Z'), modules: WITH_ROLLUP ? [ingestModule, usageModule] : [ingestModule] });
try {
  const { token } = await buildIngest(plugin.ctx).agents.create('bench', 'bench');
  process.stdout.write(`preparing ${BATCHES} batches of ${SIZE} observations…\n`);
  const bodies = Array.from({ length: BATCHES }, (_, b) => body(b));
  const url = `${plugin.url}/api/v1/agent/batches`;
  const post = async (b: string) => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: b });
    const ack = (await res.json()) as { accepted: number };
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(ack)}`);
    return ack.accepted;
  };
  // Warm-up: connections, JIT, the first pages of the indexes.
  for (let i = 0; i < 3; i++) await post(bodies[i]!);
  const latencies: number[] = [];
  let next = 3;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++]!;
        const t0 = performance.now();
        const n = await post(b);
        accepted += n;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const rate = accepted / seconds;
  process.stdout.write(`ingested ${accepted} observations in ${(BATCHES - 3)} batches of ${SIZE} in ${seconds.toFixed(2)} s (concurrency ${CONCURRENCY}, rollup ${WITH_ROLLUP ? 'running' : 'not running'})\n`);
  process.stdout.write(`throughput: ${Math.round(rate)} observations/s (target >= 20000): ${rate >= 20_000 ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`batch latency: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms\n`);
  let catchUpSeconds: number | null = null;
  if (WITH_ROLLUP) {
    // How long after the last batch until every observation is rolled up (bounded at 60 s).
    const c0 = performance.now();
    const pending = async () => Number(((await plugin.ctx.db.sequelize.query('SELECT COUNT(*) AS n FROM usage_observations WHERE rolled_up = 0'))[0] as Array<{ n: string }>)[0]!.n);
    while ((await pending()) > 0 && performance.now() - c0 < 60_000) await new Promise((r) => setTimeout(r, 250));
    catchUpSeconds = (await pending()) === 0 ? (performance.now() - c0) / 1000 : null;
    process.stdout.write(`rollup caught up ${catchUpSeconds === null ? 'NOT within 60 s' : `${catchUpSeconds.toFixed(1)} s after the last batch`}\n`);
  }
  process.stdout.write(
    JSON.stringify({ bench: 'ingest', catchUpSeconds, database: 'mariadb', withRollup: WITH_ROLLUP, batches: BATCHES - 3, batchSize: SIZE, concurrency: CONCURRENCY, observations: accepted, seconds: Number(seconds.toFixed(3)), observationsPerSecond: Math.round(rate), p50Ms: Number(pct(50).toFixed(1)), p99Ms: Number(pct(99).toFixed(1)) }) + '\n',
  );
} finally {
  await plugin.close();
  await database.drop();
}
