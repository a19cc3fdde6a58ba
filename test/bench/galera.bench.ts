/**
 * Past one machine: Octet on a 3-node MariaDB Galera cluster, one node killed mid-run, against the
 * same run on the single MariaDB server.
 *
 *   apt-get install -y galera-4 mariadb-server rsync     # beforehand: this script installs nothing
 *   npx tsx test/bench/galera.bench.ts [--accounts 2000] [--batches 120] [--size 500] [--chunk 50]
 *                                      [--target both|galera|single] [--no-kill] [--base-port 33300]
 *
 * It checks for /usr/lib/galera/libgalera_smm.so (galera-4), mariadbd, mariadb-install-db and
 * rsync, and stops with exit status 2 naming what is missing. Then, for each target:
 *
 * - galera: three mariadbd on 127.0.0.1 with their own data directories in a temp folder and
 *   distinct ports per node (client base+i, replication base+1260+i, IST base+1270+i, SST by
 *   rsync base+1140+i); node 1 bootstraps with --wsrep-new-cluster, nodes 2 and 3 join by SST.
 *   As root the servers run as `mysql` (the rsync SST daemon must write the joiner's datadir).
 *   single: a fresh database on OCTET_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306).
 * - `octet migrate` (the real CLI), then the seed: --accounts accounts with one service each on a
 *   per-unit tariff and 48 hours of November usage, and an agent token.
 * - the run: two plugin instances (this file re-run as a child with --plugin-instance: the
 *   plugin's ingest and usage modules over HTTP, rollup included) on nodes 1 and 2 take at least
 *   --batches batches of --size observations from 4 senders, alternately, and go on until 5 s
 *   after the kill (so the kill hits ingest as well as billing); a sender whose
 *   instance fails retries the same batch (same batch id) on the other one, as an agent behind a
 *   load balancer would. Meanwhile two billing workers (`octet bill --period 2026-12`, the real
 *   CLI, chunks of --chunk accounts, a 15 s run lease) on nodes 2 and 3: the first starts alone,
 *   the second once a third of the invoices are issued; then node 2 is killed with SIGKILL (its
 *   plugin instance and the first worker lose their database). Unless --no-kill.
 * - the checks (read on node 3 with wsrep_sync_wait): one invoice per (account, billing date) and
 *   every account invoiced; invoice numbers without a gap (1..n); every observation a sender got
 *   a 200 for is stored exactly once. A failed check ends with exit status 1.
 *
 * Prints the figures (observations per second through the two instances; billing accounts per
 * second from the first worker's start until every account is invoiced, its start-up and the
 * takeover after the kill included) and one JSON line. Ingest and billing run at the same time on
 * one machine, so each figure is what it got while sharing the CPU with the other.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../plugin/common/clock.js';
import { createLogger, nullLogger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { loadPluginConfig, pluginConfigSchema } from '../../plugin/config.js';
import { openDatabase } from '../../plugin/db/database.js';
import { buildIngest, ingestModule } from '../../plugin/ingest/index.js';
import { buildContext, buildModuleServices, startPlugin } from '../../plugin/main.js';
import { usageModule } from '../../plugin/usage/index.js';

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '../..');
const OCTET = join(ROOT, 'plugin/cli/octet.js');
const PROVIDER = '/usr/lib/galera/libgalera_smm.so';

// ---- child mode: one plugin instance (ingest + usage rollup) on the given config ----
if (process.argv[2] === '--plugin-instance') {
  const config = loadPluginConfig(process.argv[3]!);
  const running = await startPlugin(config, { logger: createLogger({ level: 'warn', format: 'json' }), modules: [ingestModule, usageModule] });
  process.stdout.write(`listening ${running.url}\n`);
  const stop = () => void running.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await new Promise(() => undefined);
}

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '2000' },
    batches: { type: 'string', default: '120' },
    size: { type: 'string', default: '500' },
    chunk: { type: 'string', default: '50' },
    target: { type: 'string', default: 'both' },
    'no-kill': { type: 'boolean', default: false },
    'base-port': { type: 'string', default: '33300' },
  },
});
const N = Number(values.accounts);
const BATCHES = Number(values.batches);
const SIZE = Number(values.size);
const CHUNK = Number(values.chunk);
const BASE = Number(values['base-port']);
const KILL = !values['no-kill'];
const SENDERS = 4;
const LEASE_SECONDS = 15;
const SINGLE_URL = process.env.OCTET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const log = (s: string) => process.stdout.write(`${s}\n`);
/** Transactions the plugin ran again after a write conflict (its warning, counted in the children's logs). */
let conflictRetries = 0;
const countConflicts = (text: string) => (conflictRetries += text.split('rolled back by a write conflict').length - 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Every child this run started (plugin instances, CLI commands, servers): none outlives it. */
const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => running(c) && c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
/** Still running: neither exited nor ended by a signal (a SIGKILLed child has exitCode null). */
const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
const track = <C extends ChildProcess>(c: C): C => {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
};

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ---- the cluster ----
interface Node {
  index: number;
  port: number;
  dir: string;
  proc?: ChildProcess;
  url: string;
}

function preflight(): void {
  const missing: string[] = [];
  try {
    accessSync(PROVIDER, constants.R_OK);
  } catch {
    missing.push(`${PROVIDER} (Debian package galera-4)`);
  }
  for (const c of ['mariadbd', 'mariadb-install-db', 'rsync']) if (!which(c) && !which(`/usr/sbin/${c}`)) missing.push(c);
  if (missing.length) {
    process.stderr.write(`galera bench: missing ${missing.join(', ')}; install them first: apt-get install -y galera-4 mariadb-server rsync\n`);
    process.exit(2);
  }
}

async function query<T = unknown>(url: string, sql: string, params: unknown[] = [], init?: string): Promise<T[]> {
  const c = await mysql.createConnection({ uri: url, connectTimeout: 3000, supportBigNumbers: true, bigNumberStrings: true });
  try {
    if (init) await c.query(init);
    const [rows] = await c.query(sql, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}

async function status(url: string, name: string): Promise<string | null> {
  try {
    const rows = await query<{ Value: string }>(url, 'SHOW STATUS LIKE ?', [name]);
    return rows[0]?.Value ?? null;
  } catch {
    return null;
  }
}

async function startCluster(): Promise<{ nodes: Node[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'octet-galera-'));
  chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'mysql' : (process.env.USER ?? 'nobody');
  const mariadbd = which('mariadbd') ?? '/usr/sbin/mariadbd';
  const gcomm = [1, 2, 3].map((i) => `127.0.0.1:${BASE + 1260 + i}`).join(',');
  const nodes: Node[] = [1, 2, 3].map((index) => ({ index, port: BASE + index, dir: join(dir, `n${index}`), url: `mysql://root@127.0.0.1:${BASE + index}` }));
  for (const n of nodes) {
    mkdirSync(n.dir);
    const r = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${n.dir}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mariadb-install-db for node ${n.index} failed: ${r.stderr}`);
  }
  if (asRoot) spawnSync('chown', ['-R', 'mysql:mysql', dir]);
  const start = (n: Node, bootstrap: boolean) => {
    const args = [
      '--no-defaults', `--datadir=${n.dir}`, `--user=${user}`, `--port=${n.port}`, `--socket=${join(dir, `n${n.index}.sock`)}`, '--bind-address=127.0.0.1',
      `--pid-file=${join(dir, `n${n.index}.pid`)}`, `--log-error=${join(dir, `n${n.index}.err`)}`, '--skip-name-resolve', '--max-connections=300',
      '--wsrep_on=ON', `--wsrep_provider=${PROVIDER}`, '--wsrep_cluster_name=octet-bench', `--wsrep_node_name=n${n.index}`,
      `--wsrep_cluster_address=gcomm://${gcomm}`, `--wsrep_node_address=127.0.0.1:${BASE + 1260 + n.index}`,
      `--wsrep_provider_options=gmcast.listen_addr=tcp://127.0.0.1:${BASE + 1260 + n.index};ist.recv_addr=127.0.0.1:${BASE + 1270 + n.index};gcache.size=256M`,
      '--wsrep_sst_method=rsync', `--wsrep_sst_receive_address=127.0.0.1:${BASE + 1140 + n.index}`,
      // Galera's requirements: row-based replication, interleaved auto-increment locks, InnoDB.
      '--binlog_format=ROW', '--innodb_autoinc_lock_mode=2', '--default_storage_engine=InnoDB', '--innodb_flush_log_at_trx_commit=2',
      ...(bootstrap ? ['--wsrep-new-cluster'] : []),
    ];
    n.proc = track(spawn(mariadbd, args, { stdio: 'ignore' }));
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, seconds: number) => {
    const until = Date.now() + seconds * 1000;
    while (!(await ok())) {
      if (Date.now() > until) throw new Error(`galera: ${what} not within ${seconds} s (logs in ${dir})`);
      await sleep(500);
    }
  };
  start(nodes[0]!, true);
  await waitFor('node 1 ready', async () => (await status(nodes[0]!.url, 'wsrep_ready')) === 'ON', 60);
  for (const n of nodes.slice(1)) {
    start(n, false);
    await waitFor(`node ${n.index} synced`, async () => (await status(n.url, 'wsrep_local_state_comment')) === 'Synced', 120);
  }
  await waitFor('a cluster of 3', async () => (await status(nodes[0]!.url, 'wsrep_cluster_size')) === '3', 30);
  return { nodes, dir };
}

async function stopCluster(c: { nodes: Node[]; dir: string }): Promise<void> {
  for (const n of c.nodes) if (n.proc && running(n.proc)) n.proc.kill('SIGTERM');
  for (const n of c.nodes) if (n.proc && running(n.proc)) await new Promise((r) => n.proc!.once('exit', r));
  rmSync(c.dir, { recursive: true, force: true });
}

// ---- one run ----
interface Target {
  name: 'galera' | 'single';
  /** Server URLs (no database) for: plugin A, plugin B, worker X, worker Y, checks; and the node to kill. */
  a: string; b: string; x: string; y: string; check: string;
  kill?: () => void;
}

function dbUrl(server: string, database: string): string {
  const u = new URL(server);
  u.pathname = `/${database}`;
  return u.toString();
}

function configFile(dir: string, name: string, url: string): string {
  const file = join(dir, `${name}.json`);
  const config = {
    db: { url },
    http: { host: '127.0.0.1', port: 0 },
    // The run's lease is renewed after every chunk: on a loaded machine a chunk can take seconds.
    billing: { timezone: 'UTC', currency: 'EUR', tax: { name: 'VAT', percent: '19' }, runChunk: CHUNK, runLeaseSeconds: LEASE_SECONDS, schedule: { enabled: false } },
    usage: { pruneCron: '0 0 1 1 *' },
    dunning: { schedule: { enabled: false } },
    log: { level: 'warn', format: 'json' },
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const p = track(spawn(process.execPath, [OCTET, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => {
      stderr += d;
      countConflicts(String(d));
    });
    p.on('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

async function startInstance(config: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = track(spawn(process.execPath, ['--import', 'tsx', HERE, '--plugin-instance', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  proc.stderr!.on('data', (d) => countConflicts(String(d)));
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    proc.once('exit', (code) => fail(new Error(`plugin instance ${config} exited with ${code}`)));
  });
  return { url, proc };
}

async function seed(url: string): Promise<string> {
  const db = await openDatabase(url, nullLogger);
  try {
    const config = pluginConfigSchema.parse({ db: { url }, billing: { timezone: 'UTC', currency: 'EUR', schedule: { enabled: false } } });
    const ctx = buildContext(config, db, nullLogger, new ManualClock('2026-08-01T00:00:00Z'));
    const services = buildModuleServices(ctx);
    await services.tariffs.catalogue.create({ code: 'PER-UNIT', name: 'Per unit', currency: 'EUR', recurringFee: '30.00', usage: { direction: 'both', unit: 'GB', includedUnits: '10', charge: { model: 'per_unit', unitPrice: '0.50', block: '1' } } }, 'bench');
    const q = (sql: string) => db.sequelize.query(sql, { type: QueryTypes.RAW });
    await q(`INSERT INTO accounts (name, email, currency, status, tax_exempt, created_at, updated_at) SELECT CONCAT('Customer ', seq), CONCAT('c', seq, '@example.net'), 'EUR', 'active', 0, '2026-08-01', '2026-08-01' FROM seq_1_to_${N}`);
    // Account ids are read back, never assumed 1..N: on Galera AUTO_INCREMENT steps by the node count.
    await q(`INSERT INTO services (account_id, login, live_login, tariff, status, start_date, created_at, updated_at)
             SELECT id, CONCAT('sub', SUBSTRING(name, 10)), CONCAT('sub', SUBSTRING(name, 10)), 'PER-UNIT', 'active', '2026-09-01', '2026-08-01', '2026-08-01' FROM accounts`);
    await q(`INSERT INTO service_tariffs (service_id, tariff_code, from_time, created_by, created_at) SELECT id, tariff, '2026-09-01 00:00:00.000', 'bench', NOW(3) FROM services`);
    await q(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at)
             SELECT s.login, TIMESTAMPADD(HOUR, h.seq, '2026-11-10 00:00:00.000'), s.id, 'radius', 400000000 + (s.id % 100) * 1000000, 40000000, NOW(3)
               FROM services s CROSS JOIN seq_0_to_47 h`);
    const { token } = await buildIngest(ctx).agents.create('bench-agent', 'bench');
    return token;
  } finally {
    await db.close();
  }
}

/**
 * Galera's rule, shown: two transactions on two nodes update the same row; neither waits for the
 * other (row locks are node-local), both reach COMMIT, and the second to commit fails
 * certification with error 1213. Through db.transaction(fn, { retryConflicts: true }) it runs
 * again and both updates are kept.
 */
async function certificationProbe(urlA: string, urlB: string): Promise<{ attempts: number; value: number; error: string }> {
  const a = await openDatabase(urlA, nullLogger);
  const b = await openDatabase(urlB, nullLogger);
  try {
    await a.sequelize.query('CREATE TABLE galera_probe (id INT PRIMARY KEY, n INT NOT NULL)');
    await a.sequelize.query('INSERT INTO galera_probe VALUES (1, 0)');
    // Applying on the other nodes is asynchronous: wait until node 3 has the row.
    for (let i = 0; ; i++) {
      const [exists] = await b.sequelize.query<{ n: number }>('SELECT n FROM galera_probe WHERE id = 1', { type: QueryTypes.SELECT });
      if (exists) break;
      if (i > 100) throw new Error('the probe row did not reach node 3 within 10 s');
      await sleep(100);
    }
    let attempts = 0;
    let error = '';
    let arrived = 0;
    const both = new Promise<void>((ok) => {
      const check = setInterval(() => arrived >= 2 && (clearInterval(check), ok()), 5);
    });
    const bump = (db: typeof a) => db.transaction(async (t) => {
      const first = ++attempts <= 2;
      await db.sequelize.query('UPDATE galera_probe SET n = n + 1 WHERE id = 1', { transaction: t });
      if (first) {
        arrived++;
        await both; // both hold their node's lock on the row before either commits
      }
    }, { retryConflicts: true }).catch((err: Error) => {
      error = err.message;
      throw err;
    });
    const sequelizeErrors: string[] = [];
    // Sequelize prints the failed COMMIT itself: keep its line as the loser's error.
    const saved = { log: console.log, warn: console.warn, error: console.error };
    console.log = console.warn = console.error = (...m: unknown[]) => void sequelizeErrors.push(m.join(' '));
    try {
      await Promise.all([bump(a), bump(b)]);
    } finally {
      Object.assign(console, saved);
    }
    error ||= sequelizeErrors.find((m) => m.includes('Deadlock')) ?? '(none printed)';
    const [row] = await a.sequelize.query<{ n: number }>('SELECT n FROM galera_probe WHERE id = 1', { type: QueryTypes.SELECT });
    await a.sequelize.query('DROP TABLE galera_probe');
    return { attempts, value: Number(row!.n), error: error.slice(0, 160) };
  } finally {
    await a.close();
    await b.close();
  }
}

function batchBody(b: number, base: number): { body: string; ids: string[] } {
  const records: SessionObservation[] = [];
  for (let i = 0; i < SIZE; i++) {
    const n = b * SIZE + i;
    const k = (n % N) + 1;
    const round = Math.floor(n / N) + 1;
    records.push({
      recordId: randomUUID(),
      source: 'radius',
      sourceName: `nas-${k % 4}`,
      login: `sub${k}`,
      sessionId: `sess-${k}`,
      sessionStart: new Date(base).toISOString(),
      observedAt: new Date(base + round * 1000).toISOString(),
      downloadOctets: String(BigInt(round) * 1_048_576n),
      uploadOctets: String(round * 65_536),
      ended: false,
      framedIp: `100.64.${(k >> 8) & 255}.${k & 255}`,
    } as SessionObservation);
  }
  return { body: JSON.stringify({ batchId: randomUUID(), sentAt: new Date().toISOString(), records }), ids: records.map((r) => r.recordId) };
}

async function run(target: Target, work: string) {
  conflictRetries = 0;
  const name = `octet_bench_galera_${process.pid}`;
  await query(target.check, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  try {
    return await runIn(target, work, name);
  } finally {
    await query(target.check, `DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
  }
}

async function runIn(target: Target, work: string, name: string) {
  const cfg = (k: string, server: string) => configFile(work, `${target.name}-${k}`, dbUrl(server, name));
  const files = { a: cfg('a', target.a), b: cfg('b', target.b), x: cfg('x', target.x), y: cfg('y', target.y) };
  const m0 = performance.now();
  const migrated = await runCli(['migrate', '--config', files.a]);
  if (migrated.code !== 0) throw new Error(`octet migrate failed: ${migrated.stderr}`);
  log(`[${target.name}] octet migrate: ${((performance.now() - m0) / 1000).toFixed(1)} s`);
  const probe = target.name === 'galera' ? await certificationProbe(dbUrl(target.a, name), dbUrl(target.y, name)) : null;
  if (probe) log(`[galera] certification probe: one row updated at once through nodes 1 and 3: ${probe.attempts} attempts for 2 transactions, row = ${probe.value}, the loser's error: ${probe.error}`);
  const s0 = performance.now();
  const token = await seed(dbUrl(target.a, name));
  log(`[${target.name}] seeded ${N} accounts with 48 h of November usage in ${((performance.now() - s0) / 1000).toFixed(1)} s`);

  const instances = [await startInstance(files.a), await startInstance(files.b)];
  log(`[${target.name}] plugin instances: ${instances.map((i) => i.url).join(', ')}`);
  const base = Date.now() - 10 * 60_000;
  const stored = new Set<string>();
  let retries = 0;
  let next = 0;
  let sent = 0;
  let generated = 0;
  // Senders go on past --batches until a few seconds after the kill, so the kill hits ingest too.
  let keepSending = true;
  const post = async (i: number, body: string) => {
    const res = await fetch(`${instances[i]!.url}/api/v1/agent/batches`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(30_000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  const i0 = performance.now();
  const ingest = Promise.all(Array.from({ length: SENDERS }, async () => {
    for (let b = next++; b < BATCHES || (keepSending && b < 20 * BATCHES); b = next++) {
      const { body, ids } = batchBody(b, base);
      generated += SIZE;
      for (let attempt = 0, i = b % 2; ; attempt++, i = 1 - i) {
        try {
          await post(i, body);
          break;
        } catch (err) {
          retries++;
          if (attempt > 60) throw new Error(`batch ${b} refused 60 times: ${(err as Error).message}`);
          await sleep(250);
        }
      }
      for (const id of ids) stored.add(id);
      sent += SIZE;
    }
  })).then(() => (performance.now() - i0) / 1000);

  // Billing: X alone first, Y once a third is issued; then the kill.
  const invoices = async () => Number((await query<{ n: string }>(dbUrl(target.check, name), "SELECT COUNT(*) AS n FROM invoices WHERE type = 'invoice'"))[0]!.n);
  const b0 = performance.now();
  let xDone = false;
  // When the last invoice is in: the run's own figure (the second worker's wait for the lease and
  // the processes' exits come after it).
  let allInvoicedAt: number | null = null;
  const watch = setInterval(() => void invoices().then((k) => (allInvoicedAt ??= k >= N ? (performance.now() - b0) / 1000 : null)).catch(() => undefined), 250);
  const x = runCli(['bill', '--period', '2026-12', '--json', '--config', files.x]).finally(() => (xDone = true));
  while (!xDone && (await invoices()) < N / 3) await sleep(100);
  const y = runCli(['bill', '--period', '2026-12', '--json', '--config', files.y]);
  let killedAt: number | null = null;
  if (target.kill) {
    await sleep(300);
    const issued = await invoices();
    target.kill();
    killedAt = (performance.now() - b0) / 1000;
    log(`[${target.name}] SIGKILL node 2 at ${killedAt.toFixed(1)} s into billing, ${issued} of ${N} invoices issued, ${sent} observations acknowledged`);
  }
  void sleep(5000).then(() => (keepSending = false));
  const [rx, ry] = await Promise.all([x, y]);
  const billSeconds = (performance.now() - b0) / 1000;
  clearInterval(watch);
  allInvoicedAt ??= (await invoices()) >= N ? billSeconds : null;
  const ingestSeconds = await ingest;
  for (const i of instances) i.proc.kill('SIGTERM');
  await Promise.all(instances.map((i) => (running(i.proc) ? new Promise((r) => { i.proc.once('exit', r); setTimeout(() => { i.proc.kill('SIGKILL'); r(null); }, 10_000); }) : null)));
  const outcome = (r: { code: number | null; stdout: string; stderr: string }) => {
    try {
      const j = JSON.parse(r.stdout) as { status: string; invoicesIssued: number; accountsAlreadyBilled: number };
      return `exit ${r.code}: ${j.status}, issued ${j.invoicesIssued}, already billed ${j.accountsAlreadyBilled}`;
    } catch {
      return `exit ${r.code}: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}`;
    }
  };
  log(`[${target.name}] worker X (${new URL(target.x).port}): ${outcome(rx)}`);
  log(`[${target.name}] worker Y (${new URL(target.y).port}): ${outcome(ry)}`);

  // Checks, on a node that stayed up, after it applied everything the cluster committed.
  const checkUrl = dbUrl(target.check, name);
  const sync = target.name === 'galera' ? 'SET SESSION wsrep_sync_wait = 1' : undefined;
  const dup = await query<{ account_id: number; period_key: string; n: string }>(checkUrl, 'SELECT account_id, period_key, COUNT(*) AS n FROM invoices WHERE type = \'invoice\' GROUP BY account_id, period_key HAVING COUNT(*) > 1', [], sync);
  const [inv] = await query<{ n: string; accounts: string; lo: string | null; hi: string | null }>(checkUrl, "SELECT COUNT(*) AS n, COUNT(DISTINCT account_id) AS accounts, MIN(sequence) AS lo, MAX(sequence) AS hi FROM invoices WHERE type = 'invoice'", [], sync);
  const ids = await query<{ record_id: string }>(checkUrl, 'SELECT record_id FROM usage_observations', [], sync);
  const storedIds = new Map<string, number>();
  for (const r of ids) storedIds.set(r.record_id, (storedIds.get(r.record_id) ?? 0) + 1);
  const lost = [...stored].filter((id) => !storedIds.has(id)).length;
  const twice = [...storedIds.values()].filter((c) => c > 1).length;
  const n = Number(inv!.n);
  const checks = {
    oneInvoicePerAccountAndDate: dup.length === 0,
    everyAccountInvoiced: Number(inv!.accounts) === N,
    numbersWithoutGap: n === 0 ? false : Number(inv!.lo) === 1 && Number(inv!.hi) === n,
    noLostObservation: lost === 0 && stored.size === generated,
    eachObservationOnce: twice === 0 && ids.length === stored.size,
  };
  log(`[${target.name}] invoices ${n} for ${inv!.accounts} accounts, numbers ${inv!.lo}..${inv!.hi}, duplicates ${dup.length}; observations sent ${generated}, acknowledged ${stored.size}, stored ${ids.length}, lost ${lost}, stored twice ${twice}; sender retries ${retries}`);
  const result = {
    target: target.name,
    accounts: N,
    observations: generated,
    ingestSeconds: Number(ingestSeconds.toFixed(2)),
    observationsPerSecond: Math.round(generated / ingestSeconds),
    conflictRetries,
    billSeconds: Number(billSeconds.toFixed(2)),
    allInvoicedSeconds: allInvoicedAt === null ? null : Number(allInvoicedAt.toFixed(2)),
    accountsPerSecond: allInvoicedAt === null ? 0 : Number((N / allInvoicedAt).toFixed(1)),
    killedAtSeconds: killedAt === null ? null : Number(killedAt.toFixed(1)),
    senderRetries: retries,
    checks,
  };
  log(`[${target.name}] ingest ${result.observationsPerSecond} observations/s (${result.ingestSeconds} s); billing: every account invoiced ${result.allInvoicedSeconds} s after the first worker started (${result.accountsPerSecond} accounts/s, its start-up${killedAt === null ? '' : ' and the takeover after the kill'} included; both workers done at ${result.billSeconds} s); transactions retried after a write conflict ${conflictRetries}; checks: ${Object.entries(checks).map(([k, v]) => `${k} ${v ? 'ok' : 'FAILED'}`).join(', ')}`);
  return result;
}

preflight();
const work = mkdtempSync(join(tmpdir(), 'octet-galera-configs-'));
const results: Awaited<ReturnType<typeof run>>[] = [];
try {
  if (values.target === 'both' || values.target === 'single') {
    const s = SINGLE_URL;
    results.push(await run({ name: 'single', a: s, b: s, x: s, y: s, check: s }, work));
  }
  if (values.target === 'both' || values.target === 'galera') {
    const t0 = performance.now();
    const cluster = await startCluster();
    log(`[galera] 3 nodes synced in ${((performance.now() - t0) / 1000).toFixed(1)} s (ports ${cluster.nodes.map((n) => n.port).join(', ')}; data in ${cluster.dir})`);
    try {
      const [n1, n2, n3] = cluster.nodes as [Node, Node, Node];
      results.push(await run({ name: 'galera', a: n1.url, b: n2.url, x: n2.url, y: n3.url, check: n3.url, kill: KILL ? () => n2.proc!.kill('SIGKILL') : undefined }, work));
    } finally {
      await stopCluster(cluster);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const single = results.find((r) => r.target === 'single');
const galera = results.find((r) => r.target === 'galera');
if (single && galera) {
  log(`galera / single: ingest ${(galera.observationsPerSecond / single.observationsPerSecond).toFixed(2)}x, billing ${(galera.accountsPerSecond / single.accountsPerSecond).toFixed(2)}x`);
}
log(JSON.stringify({ bench: 'galera', kill: KILL, chunk: CHUNK, batchSize: SIZE, results }));
process.exit(results.every((r) => Object.values(r.checks).every(Boolean)) ? 0 : 1);
