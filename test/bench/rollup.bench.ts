/**
 * Rollup of one 5-minute round of interims on MariaDB, measured at the full size.
 *
 *   npx tsx test/bench/rollup.bench.ts [--services 100000] [--chunk 2000] [--history-hours 6] [--rounds 3] [--pipeline on|off|alternate]
 *
 * `--pipeline alternate` runs the rounds with the next chunk read ahead (rollup.service.ts
 * rollupPipelined) and without it by turns, on the same state (off, on, off, on, ...; with 6
 * rounds each mode gets two rounds within a bucket and one crossing into a new bucket), and
 * prints the median of each: a ratio that load from elsewhere on the machine moves less than
 * two runs minutes apart. The default is the product's (on, on MariaDB).
 *
 * The state before the round is what the rollup leaves behind after `--history-hours` of
 * 5-minute interims (sessions with their latest observation and counters, their 15-minute
 * buckets, usage_hourly with services assigned, the raw observations rolled up), written with
 * multi-row INSERT ... SELECT from MariaDB's SEQUENCE engine, not through HTTP and not by rolling
 * up hours of history (which would not fit in a bench's time at 100,000 services). Each round then
 * adds one interim to every session (usage_observations rows as the ingest stores them) and
 * times `rollupPending`, the job's incremental step, under the job's lease with its fence. Every
 * service has an account and a service row, so the assignment is part of the work. Prints lines
 * and one JSON line (median and range of the rounds).
 *
 * Besides the wall time, each round reports what other load on the machine hardly moves: the
 * plugin's CPU seconds, the database server's CPU seconds (from /proc, when the server runs on
 * this host and its pid file is readable) and InnoDB's counters for the round (buffer-pool reads
 * from disk, i.e. misses; pages written; fsyncs; statements by kind). On a shared server those
 * counters include the other clients' work: run against a server of its own for clean ones, e.g.
 *   OCTET_TEST_MYSQL_URL=mysql://root@127.0.0.1:3307 npx tsx test/bench/rollup.bench.ts
 * The load average before and after is printed.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { openDatabase } from '../../plugin/db/database.js';
import { migrate } from '../../plugin/db/migrator.js';
import { LeaseRepository } from '../../plugin/jobs/index.js';
import { buildContext } from '../../plugin/main.js';
import { buildUsage } from '../../plugin/usage/index.js';
import { raiseBufferPool } from '../support/mariadb-tuning.js';
import { createTestDatabase } from '../support/databases.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '100000' },
    chunk: { type: 'string', default: '2000' },
    'history-hours': { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    pipeline: { type: 'string', default: 'on' },
  },
});
const SERVICES = Number(values.services);
const CHUNK = Number(values.chunk);
const HISTORY = Number(values['history-hours']);
const ROUNDS = Number(values.rounds);
if (!['on', 'off', 'alternate'].includes(values.pipeline!)) throw new Error('--pipeline is on, off or alternate');
const pipelineOf = (round: number): boolean => (values.pipeline === 'alternate' ? round % 2 === 1 : values.pipeline === 'on');
const T0 = '2026-03-03 00:00:00.000';
const HISTORY_INTERIMS = HISTORY * 12;
const BUCKETS = HISTORY * 4;

const database = await createTestDatabase('mysql');
const db = await openDatabase(database.url, nullLogger);
try {
  await migrate(db, nullLogger);
  // 100,000 sessions' buckets, hourly rows and observations are about 1.5 GB with their indexes.
  const poolBytes = await raiseBufferPool(db, 4 * 1024 ** 3, (line) => process.stdout.write(line + '\n'));
  const config = pluginConfigSchema.parse({ db: { url: database.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR' } });
  const ctx = buildContext(config, db, nullLogger, new ManualClock('2026-03-04T00:00:00Z'));
  const usage = buildUsage(ctx);
  const q = (sql: string) => db.sequelize.query(sql, { type: QueryTypes.RAW });
  const seq = (n: number) => `seq_1_to_${n}`;
  // Session s's counters after interim k (k = 0 is its first, at T0 + 5 min + s's stagger).
  const down = (k: string, s: string) => `((${k}) + 1) * (1000000 + ${s} * 13)`;
  const up = (k: string, s: string) => `((${k}) + 1) * (100000 + ${s})`;
  const at = (k: string, s: string) => `TIMESTAMPADD(SECOND, ((${k}) + 1) * 300 + (${s} * 7) % 300, '${T0}')`;

  const g0 = performance.now();
  await q(`INSERT INTO agents (name, token_hash, prefix, created_by, created_at) VALUES ('bench', REPEAT('0', 64), 'oct_agent_x', 'bench', NOW())`);
  await q(`INSERT INTO accounts (name, currency, status, tax_exempt, created_at, updated_at) SELECT CONCAT('Customer ', seq), 'EUR', 'active', 0, '2026-01-01', '2026-01-01' FROM ${seq(SERVICES)}`);
  await q(`INSERT INTO services (account_id, login, live_login, status, start_date, created_at, updated_at)
           SELECT seq, CONCAT('sub', seq), CONCAT('sub', seq), 'active', '2026-01-01', '2026-01-01', '2026-01-01' FROM ${seq(SERVICES)}`);
  const last = String(HISTORY_INTERIMS - 1);
  await q(`INSERT INTO usage_sessions (session_key, agent_id, source, source_name, session_id, login, session_start, first_observed_at, last_observed_at,
             last_download, last_upload, ended, ignored_late, updated_at)
           SELECT SHA1(CONCAT('radius:', seq)), 1, 'radius', CONCAT('nas-', seq % 8), CONCAT('S', seq), CONCAT('sub', seq), '${T0}', ${at('0', 'seq')}, ${at(last, 'seq')},
                  ${down(last, 'seq')}, ${up(last, 'seq')}, 0, 0, NOW(3)
             FROM ${seq(SERVICES)}`);
  // Three interims per bucket: the bucket's share of the counters.
  await q(`INSERT INTO usage_session_hours (session_pk, part, hour_start, download, upload)
           SELECT s.id, 1, TIMESTAMPADD(MINUTE, b.seq * 15, '${T0}'), 3 * (1000000 + s.id * 13), 3 * (100000 + s.id)
             FROM usage_sessions s CROSS JOIN seq_0_to_${BUCKETS - 1} b`);
  await q(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at)
           SELECT CONCAT('sub', s.id), TIMESTAMPADD(MINUTE, b.seq * 15, '${T0}'), s.id, 'radius', 3 * (1000000 + s.id * 13), 3 * (100000 + s.id), NOW(3)
             FROM usage_sessions s CROSS JOIN seq_0_to_${BUCKETS - 1} b`);
  const observe = (k: number, rolledUp: 0 | 1) =>
    q(`INSERT INTO usage_observations (agent_id, record_id, session_key, source, source_name, session_id, login, session_start, observed_at, download, upload, ended, received_at, rolled_up)
       SELECT 1, CONCAT('r', seq, '-', ${k}), SHA1(CONCAT('radius:', seq)), 'radius', CONCAT('nas-', seq % 8), CONCAT('S', seq), CONCAT('sub', seq),
              '${T0}', ${at(String(k), 'seq')}, ${down(String(k), 'seq')}, ${up(String(k), 'seq')}, 0, NOW(3), ${rolledUp}
         FROM ${seq(SERVICES)}`);
  // The raw observations of the last hour of history (older ones would be there too until pruned).
  for (let k = Math.max(0, HISTORY_INTERIMS - 12); k < HISTORY_INTERIMS; k++) await observe(k, 1);
  await q('ANALYZE TABLE usage_observations, usage_sessions, usage_session_hours, usage_hourly, services');
  const generated = (performance.now() - g0) / 1000;
  process.stdout.write(`generated ${SERVICES} services with ${HISTORY} h of rolled-up 5-minute interims in ${generated.toFixed(1)} s\n`);

  const spent = new Map<string, number>();
  // With --profile, the time of each kind of statement (its text with literals and lists folded),
  // measured around sequelize.query: what each statement costs the round, database and driver.
  const statements = new Map<string, { ms: number; n: number }>();
  if (values.profile) {
    const query = db.sequelize.query.bind(db.sequelize) as (...a: unknown[]) => Promise<unknown>;
    const digest = (sql: string) =>
      sql.replace(/\s+/g, ' ').replace(/'(?:[^'\\]|\\.)*'/g, '?').replace(/\b\d+\b/g, 'N').replace(/\((?:\s*(?:\?|N|NULL|true|false)\s*,?)+\)(?:\s*,\s*\((?:\s*(?:\?|N|NULL|true|false)\s*,?)+\))*/gi, '(...)').slice(0, 150);
    (db.sequelize as unknown as { query: unknown }).query = (sql: unknown, ...rest: unknown[]) => {
      const t0 = performance.now();
      const key = typeof sql === 'string' ? digest(sql) : 'other';
      return query(sql, ...rest).finally(() => {
        const e = statements.get(key) ?? { ms: 0, n: 0 };
        e.ms += performance.now() - t0;
        e.n++;
        statements.set(key, e);
      });
    };
  }
  if (values.profile) {
    // Time per repository call, to see where a round goes.
    for (const [name, target] of [['usage', usage.usage], ['assignment', usage.assignment]] as const) {
      const proto = Object.getPrototypeOf(target) as Record<string, unknown>;
      for (const m of Object.getOwnPropertyNames(proto)) {
        const f = (target as unknown as Record<string, unknown>)[m];
        if (['constructor', 'q', 'run', 't', 'lock'].includes(m) || typeof f !== 'function') continue;
        // Sync helpers (SQL fragments) must stay sync: only a returned promise is awaited for the time.
        (target as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
          const t0 = performance.now();
          const add = () => spent.set(`${name}.${m}`, (spent.get(`${name}.${m}`) ?? 0) + performance.now() - t0);
          const out = (f as (...a: unknown[]) => unknown).apply(target, args);
          if (out instanceof Promise) return out.finally(add);
          add();
          return out;
        };
      }
    }
  }
  // The server's CPU time (user + system) from /proc, when it runs here and its pid file is readable.
  const [pidRow] = await db.sequelize.query<{ f: string }>('SELECT @@pid_file AS f', { type: QueryTypes.SELECT });
  let serverPid: number | null = null;
  try {
    serverPid = Number(readFileSync(String(pidRow?.f), 'utf8').trim()) || null;
    readFileSync(`/proc/${serverPid}/stat`);
  } catch {
    serverPid = null;
  }
  const serverCpu = (): number | null => {
    if (serverPid === null) return null;
    const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const COUNTERS = ['Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests', 'Innodb_pages_written', 'Innodb_data_fsyncs', 'Com_select', 'Com_insert', 'Com_update'];
  // With --profile, the handler calls of the round too (rows read through an index, written,
  // updated, deleted): rows examined against rows written, per round (the whole server's).
  if (values.profile) {
    COUNTERS.push('Handler_read_key', 'Handler_read_next', 'Handler_read_rnd_next', 'Handler_write', 'Handler_update', 'Handler_delete', 'Innodb_rows_read', 'Innodb_rows_inserted', 'Innodb_rows_updated', 'Innodb_rows_deleted');
  }
  const status = async (): Promise<Map<string, number>> => {
    const rows = await db.sequelize.query<{ Variable_name: string; Value: string }>(`SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map((c) => `'${c}'`).join(', ')})`, { type: QueryTypes.SELECT });
    return new Map(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  };
  const dbCpuSeconds: Array<number | null> = [];
  const innodb: Array<Record<string, number>> = [];
  const loadBefore = loadavg();
  const leases = new LeaseRepository(db);
  const times: number[] = [];
  const cpuSeconds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await observe(HISTORY_INTERIMS + r, 0);
    const lease = (await leases.acquire('usage-rollup', 'bench', 5 * 60_000))!;
    const st0 = await status();
    const d0 = serverCpu();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const stats = await usage.rollup.rollupPending({ chunkSessions: CHUNK, fence: (t) => leases.prove(lease, t), pipeline: pipelineOf(r) });
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const d1 = serverCpu();
    const st1 = await status();
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    dbCpuSeconds.push(d0 === null || d1 === null ? null : Number((d1 - d0).toFixed(2)));
    innodb.push(Object.fromEntries(COUNTERS.map((c) => [c, (st1.get(c) ?? 0) - (st0.get(c) ?? 0)])));
    await leases.release(lease);
    times.push(s);
    process.stdout.write(`round ${r + 1} (read ahead ${pipelineOf(r) ? 'on' : 'off'}): one interim for each of ${SERVICES} sessions rolled up in ${s.toFixed(2)} s (${stats.observations} observations, ${stats.chunks} chunks, ${Math.round(stats.observations / s)} obs/s; plugin CPU ${cpuSeconds.at(-1)!.toFixed(2)} s, database CPU ${dbCpuSeconds.at(-1) ?? '?'} s)\n`);
    process.stdout.write(`  innodb: ${Object.entries(innodb.at(-1)!).map(([k, v]) => `${k.replace(/^Innodb_/, '')} ${v}`).join(', ')}\n`);
  }
  if (values.profile) for (const [k, ms] of [...spent].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${k}: ${(ms / 1000).toFixed(2)} s\n`);
  if (values.profile) {
    process.stdout.write(`statements of the ${ROUNDS} rounds (wall time around each; the read ahead overlaps the writes):\n`);
    for (const [k, e] of [...statements].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) process.stdout.write(`  ${(e.ms / 1000).toFixed(2)} s ${e.n}x ${k}\n`);
  }
  const [check] = await db.sequelize.query<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM usage_hourly WHERE service_id IS NULL`,
    { type: QueryTypes.SELECT },
  );
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const loadAfter = loadavg();
  process.stdout.write(`load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\n`);
  const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const byMode = values.pipeline === 'alternate'
    ? { off: medianOf(times.filter((_, r) => !pipelineOf(r))), on: medianOf(times.filter((_, r) => pipelineOf(r))) }
    : null;
  if (byMode) process.stdout.write(`read ahead off: median ${byMode.off.toFixed(2)} s; on: median ${byMode.on.toFixed(2)} s (on/off ${(byMode.on / byMode.off).toFixed(3)})\n`);
  process.stdout.write(`median ${median.toFixed(2)} s (range ${sorted[0]!.toFixed(2)}-${sorted[sorted.length - 1]!.toFixed(2)} s) for ${SERVICES} services; unassigned rows afterwards: ${check?.n}\n`);
  process.stdout.write(
    JSON.stringify({
      bench: 'rollup',
      database: 'mariadb',
      services: SERVICES,
      historyHours: HISTORY,
      chunkSessions: CHUNK,
      pipeline: values.pipeline,
      roundPipelined: times.map((_, r) => pipelineOf(r)),
      ...(byMode ? { medianRoundSecondsByPipeline: { off: Number(byMode.off.toFixed(2)), on: Number(byMode.on.toFixed(2)) } } : {}),
      bufferPoolMb: Math.round(poolBytes / 1048576),
      generateSeconds: Number(generated.toFixed(2)),
      roundSeconds: times.map((t) => Number(t.toFixed(2))),
      pluginCpuSeconds: cpuSeconds.map((t) => Number(t.toFixed(2))),
      databaseCpuSeconds: dbCpuSeconds,
      innodb,
      loadBefore: loadBefore.map((x) => Number(x.toFixed(2))),
      loadAfter: loadAfter.map((x) => Number(x.toFixed(2))),
      medianRoundSeconds: Number(median.toFixed(2)),
      observationsPerSecond: Math.round(SERVICES / median),
    }) + '\n',
  );
} finally {
  await db.close();
  await database.drop();
}
