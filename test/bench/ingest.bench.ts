/**
 * Agent API ingest throughput into MariaDB against a raw-insert baseline the bench runs itself.
 *
 *   npx tsx test/bench/ingest.bench.ts [--rounds 5] [--batches 60] [--size 1000] [--concurrency 4] [--no-rollup]
 *
 * Each round, in alternation: (a) the baseline: the same rows as multi-row INSERTs of --size rows
 * straight into a copy of usage_observations (same columns and indexes), --concurrency connections
 * at once, no HTTP, no JSON, no validation; (b) the plugin: --batches batches of --size
 * observations POSTed to the agent API over HTTP (bearer token, JSON, validation, dedup, one
 * transaction per batch), --concurrency at a time, with the usage rollup running as in production
 * (unless --no-rollup). Both tables grow across the rounds alike. Reports per round and the median
 * ratio plugin/baseline with its range (the machine is shared: a ratio, not an absolute figure).
 * Target: ratio >= 0.5. Needs MariaDB/MySQL at OCTET_TEST_MYSQL_URL (default
 * mysql://root@127.0.0.1:3306); creates and drops its own database.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { startPlugin } from '../../plugin/main.js';
import { buildIngest, ingestModule } from '../../plugin/ingest/index.js';
import { sessionKeyOf } from '../../plugin/ingest/validate.js';
import { usageModule } from '../../plugin/usage/index.js';
import { createTestDatabase } from '../support/databases.js';
import mysql from 'mysql2/promise';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '60' },
    size: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    'no-rollup': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
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
const WITH_ROLLUP = values['no-rollup'] !== true;
const plugin = await startPlugin(config, { logger: nullLogger, clock: new ManualClock('2026-04-01T00:00:00Z'), modules: WITH_ROLLUP ? [ingestModule, usageModule] : [ingestModule] });
const raw = mysql.createPool({ uri: database.url, connectionLimit: CONCURRENCY });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The plugin's rows for a batch, as the repository stores them (for the baseline). */
function rowsOf(json: string, agentId: number): unknown[][] {
  const now = new Date().toISOString().slice(0, 23).replace('T', ' ');
  const t = (iso: string) => iso.slice(0, 23).replace('T', ' ');
  return (JSON.parse(json) as { records: SessionObservation[] }).records.map((r) => [
    agentId, r.recordId, sessionKeyOf(r.source, r.sourceName, r.sessionId), r.source, r.sourceName, r.sessionId, r.login,
    r.sessionStart ? t(r.sessionStart) : null, t(r.observedAt), r.downloadOctets, r.uploadOctets, r.ended, r.framedIp ?? null, now,
  ]);
}

async function parallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  }));
}

try {
  const { token, info } = await buildIngest(plugin.ctx).agents.create('bench', 'bench');
  await raw.query('CREATE TABLE bench_raw LIKE usage_observations');
  const url = `${plugin.url}/api/v1/agent/batches`;
  const post = async (b: string) => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: b });
    const ack = (await res.json()) as { accepted: number };
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(ack)}`);
    return ack.accepted;
  };
  const insertRaw = async (rows: unknown[][]) => {
    await raw.query('INSERT INTO bench_raw (agent_id, record_id, session_key, source, source_name, session_id, login, session_start, observed_at, download, upload, ended, framed_ip, received_at) VALUES ?', [rows]);
  };
  // Warm-up: connections, JIT, the first pages of the indexes.
  for (let i = 0; i < 3; i++) {
    const b = body(i);
    await post(b);
    await insertRaw(rowsOf(b, info.id));
  }
  const rounds: Array<{ baseline: number; plugin: number; ratio: number; p50Ms: number; p99Ms: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    process.stdout.write(`round ${round + 1}/${ROUNDS}: preparing ${BATCHES} batches of ${SIZE}…\n`);
    const bodies = Array.from({ length: BATCHES }, (_, b) => body(round * BATCHES + b));
    const rows = bodies.map((b) => rowsOf(b, info.id));
    const r0 = performance.now();
    await parallel(rows, insertRaw);
    const baseline = (BATCHES * SIZE) / ((performance.now() - r0) / 1000);
    const latencies: number[] = [];
    let accepted = 0;
    const p0 = performance.now();
    await parallel(bodies, async (b) => {
      const t0 = performance.now();
      const n = await post(b);
      accepted += n;
      latencies.push(performance.now() - t0);
    });
    const pluginSeconds = (performance.now() - p0) / 1000;
    const rate = accepted / pluginSeconds;
    if (accepted !== BATCHES * SIZE) throw new Error(`the plugin accepted ${accepted} of ${BATCHES * SIZE} observations`);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    rounds.push({ baseline: Math.round(baseline), plugin: Math.round(rate), ratio: Number((rate / baseline).toFixed(3)), p50Ms: Number(pct(50).toFixed(1)), p99Ms: Number(pct(99).toFixed(1)) });
    process.stdout.write(`  baseline ${Math.round(baseline)} rows/s, plugin ${Math.round(rate)} observations/s (p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms): ratio ${(rate / baseline).toFixed(3)} (${pluginSeconds.toFixed(2)} s)\n`);
  }
  const ratios = rounds.map((r) => r.ratio);
  const ratio = median(ratios);
  process.stdout.write(`median ratio ${ratio.toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}; target >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}), rollup ${WITH_ROLLUP ? 'running' : 'not running'}\n`);
  let catchUpSeconds: number | null = null;
  if (WITH_ROLLUP) {
    // How long after the last batch until every observation is rolled up (bounded at 120 s).
    const c0 = performance.now();
    const pending = async () => Number(((await plugin.ctx.db.sequelize.query('SELECT COUNT(*) AS n FROM usage_observations WHERE rolled_up = 0'))[0] as Array<{ n: string }>)[0]!.n);
    while ((await pending()) > 0 && performance.now() - c0 < 120_000) await new Promise((r) => setTimeout(r, 250));
    catchUpSeconds = (await pending()) === 0 ? (performance.now() - c0) / 1000 : null;
    process.stdout.write(`rollup caught up ${catchUpSeconds === null ? 'NOT within 120 s' : `${catchUpSeconds.toFixed(1)} s after the last batch`}\n`);
  }
  process.stdout.write(
    JSON.stringify({ bench: 'ingest', database: 'mariadb', withRollup: WITH_ROLLUP, batchSize: SIZE, batchesPerRound: BATCHES, concurrency: CONCURRENCY, medianRatio: ratio, minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios), medianObservationsPerSecond: median(rounds.map((r) => r.plugin)), medianBaselineRowsPerSecond: median(rounds.map((r) => r.baseline)), catchUpSeconds, rounds }) + '\n',
  );
} finally {
  await raw.end();
  await plugin.close();
  await database.drop();
}
