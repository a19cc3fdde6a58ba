/**
 * End to end, the figure a user feels: Interim-Updates from a NAS until they are stored and
 * rolled up into usage on MariaDB, against FreeRADIUS 3.2 with rlm_sql (Debian's
 * freeradius-mysql) writing the same packets into its radacct table, in the same script.
 *
 *   npx tsx test/bench/radius-e2e.bench.ts [--sessions 10000] [--interims 10] [--rounds 3] [--sockets 4] [--window 16] [--rollup-delay-ms 2000] [--one-process] [--cpu-prof DIR]
 *
 * Each round sends sessions x interims Interim-Updates (default 100,000: 10,000 sessions with 10
 * interims each, 5 minutes apart, new sessions each round) from the same generator
 * (test/e2e/agent/crash/load-generator.ts: 4 sockets x 16 outstanding, retransmitting like a NAS)
 * to each side, alternating:
 * - octet: the two programs as they are deployed, each its own process started by the `octet`
 *   executable: `octet agent --config` (RADIUS server, durable spool, shipper) shipping over HTTP
 *   to `octet serve --config` (the whole plugin, with the rollup as configured by default except
 *   --rollup-delay-ms) on its own MariaDB database. Timed from the first packet until every
 *   observation is stored and rolled up (none pending) and usage_hourly holds exactly the
 *   round's bytes (checked, not assumed). --one-process runs both inside this script's process
 *   instead (startAgent and startPlugin with the ingest and usage modules), beside the load
 *   generator on one event loop: the shape this bench had before, kept to compare. --cpu-prof DIR
 *   writes a V8 CPU profile of the agent and of the plugin into DIR (node --cpu-prof).
 * - freeradius: /usr/sbin/freeradius as a child process with its own raddb in a temp dir, the sql
 *   module with the rlm_sql_mysql driver and Debian's queries.conf, radacct from Debian's
 *   schema.sql in its own database. Timed from the first packet until every packet is answered
 *   (rlm_sql writes before it answers) and radacct holds every session with its last counters
 *   (checked).
 * Prints each round, the medians with ranges, the ratio (FreeRADIUS time / Octet time: above 1
 * means Octet is faster; target >= 2), the CPU each side's processes used per request (user +
 * system from /proc, MariaDB's server included on both sides), the load average before and
 * after, and one JSON line.
 * Needs: apt-get install -y freeradius freeradius-mysql; MariaDB at OCTET_TEST_MYSQL_URL (default
 * mysql://root@127.0.0.1:3306); creates and drops its own databases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { agentConfigSchema } from '../../agent/config.js';
import { MIKROTIK_DICTIONARY, startAgent } from '../../agent/main.js';
import { createRadiusCodec } from '../../agent/radius/codec.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { buildIngest, ingestModule } from '../../plugin/ingest/index.js';
import { startPlugin } from '../../plugin/main.js';
import { usageModule } from '../../plugin/usage/index.js';
import { LoadGenerator, type LoadResult } from '../e2e/agent/crash/load-generator.js';
import { createTestDatabase } from '../support/databases.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    interims: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    sockets: { type: 'string', default: '4' },
    window: { type: 'string', default: '16' },
    'rollup-delay-ms': { type: 'string', default: '2000' },
    'one-process': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const ONE_PROCESS = values['one-process'];
const CPU_PROF = values['cpu-prof'];
const OCTET_BIN = fileURLToPath(new URL('../../plugin/cli/octet.js', import.meta.url));
const SESSIONS = Number(values.sessions);
const INTERIMS = Number(values.interims);
const ROUNDS = Number(values.rounds);
const SOCKETS = Number(values.sockets);
const WINDOW = Number(values.window);
const ROLLUP_DELAY_MS = Number(values['rollup-delay-ms']);
const SECRET = 'bench-e2e-secret';
const FR_SCHEMA = '/etc/freeradius/3.0/mods-config/sql/main/mysql/schema.sql';
const FR_QUERIES = '/etc/freeradius/3.0/mods-config/sql/main/mysql/queries.conf';
if (!existsSync('/usr/sbin/freeradius') || !existsSync('/usr/lib/freeradius/rlm_sql_mysql.so') || !existsSync(FR_SCHEMA)) {
  throw new Error('FreeRADIUS with rlm_sql_mysql is missing: apt-get install -y freeradius freeradius-mysql');
}
const work = mkdtempSync(join(tmpdir(), 'octet-radius-e2e-'));
const children: ChildProcess[] = [];
// Interims 5 minutes apart, ending an hour ago (inside every tolerance of the plugin).
const BASE_MS = Math.floor((Date.now() - 3600_000 - INTERIMS * 300_000) / 1000) * 1000;
const downloadOf = (k: number, s: number) => k * 1_000_000 + s;
const uploadOf = (k: number, s: number) => k * 100_000 + s;

/** The round's packets, interim by interim (every session's k-th interim before any (k+1)-th). */
function packets(tag: string): Buffer[] {
  const codec = createRadiusCodec([MIKROTIK_DICTIONARY]);
  const out: Buffer[] = [];
  for (let k = 1; k <= INTERIMS; k++) {
    for (let s = 0; s < SESSIONS; s++) {
      out.push(
        codec.encodeRequest({
          code: 'Accounting-Request',
          secret: SECRET,
          identifier: 0,
          attributes: [
            ['Acct-Status-Type', 'Interim-Update'],
            ['Acct-Session-Id', `${tag}-${s.toString(16).padStart(8, '0')}`],
            ['User-Name', `${tag}-sub${s}`],
            ['NAS-IP-Address', '127.0.0.1'],
            ['NAS-Identifier', 'e2e-nas'],
            ['NAS-Port-Id', 'ether1'],
            ['Framed-IP-Address', `100.64.${(s >> 8) & 255}.${s & 255}`],
            ['Calling-Station-Id', 'AA:BB:CC:DD:EE:FF'],
            ['Acct-Session-Time', k * 300],
            // Download is Acct-Output-Octets (RFC 2866, the agent's default direction).
            ['Acct-Output-Octets', downloadOf(k, s)],
            ['Acct-Input-Octets', uploadOf(k, s)],
            ['Event-Timestamp', new Date(BASE_MS + k * 300_000)],
            ['Acct-Delay-Time', 0],
          ],
        }),
      );
    }
  }
  return out;
}

/** What the round's sessions add up to: each session counted from its start to its last interim. */
function expectedTotals(): { download: bigint; upload: bigint } {
  let download = 0n;
  let upload = 0n;
  for (let s = 0; s < SESSIONS; s++) {
    download += BigInt(downloadOf(INTERIMS, s));
    upload += BigInt(uploadOf(INTERIMS, s));
  }
  return { download, upload };
}

function load(port: number, templates: Buffer[]): Promise<LoadResult> {
  return new LoadGenerator({ port, secret: SECRET, templates, sockets: SOCKETS, window: WINDOW, timeoutMs: 2000, maxRetries: 10 }).run();
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CLOCK_TICKS = 100; // USER_HZ, the unit of /proc/PID/stat's times on Linux (x86_64 and arm64)

/** CPU seconds (user + system) the process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The MariaDB server's process (both sides' databases live in it), or undefined if not local. */
function mariadbPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'mariadbd') return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return undefined;
}

/** Starts the `octet` executable; its stdout and stderr lines go to `onLine`. */
function spawnOctet(args: string[], onLine: (line: string) => void): ChildProcess {
  const profile = CPU_PROF && (args[0] === 'serve' || args[0] === 'agent') ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, OCTET_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  return child;
}

async function runOctet(args: string[]): Promise<string> {
  const lines: string[] = [];
  const child = spawnOctet(args, (l) => lines.push(l));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`octet ${args.join(' ')} exited ${code}: ${lines.join('\n')}`);
  return lines.join('\n');
}

async function waitForLine(child: ChildProcess, what: string, lines: string[], test: (l: string) => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (lines.some(test)) return;
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`${what} did not start: ${lines.slice(-20).join('\n')}`);
}

interface OctetSide {
  radiusPort: number;
  /** The processes whose CPU counts as Octet's (MariaDB's server apart), by name. */
  processes: Array<{ name: string; pid: number }>;
  stop(): Promise<void>;
}

/** The agent's settings, the same in either shape: this bench's NAS, spool and ports. */
function agentSettings(pluginUrl: string, token: string, radiusPort: number, httpPort: number, logLevel: 'info' | 'error') {
  return {
    plugin: { url: pluginUrl, token },
    spool: { dir: join(work, 'agent', 'spool') },
    radius: { host: '127.0.0.1', port: radiusPort, clients: [{ name: 'e2e-nas', address: '127.0.0.1', secret: SECRET }] },
    http: { host: '127.0.0.1', port: httpPort },
    log: { level: logLevel, format: 'json' },
  };
}

/** The agent and the plugin as deployed: two processes of the `octet` executable. */
async function startOctetProcesses(dbUrl: string): Promise<OctetSide> {
  const pluginPort = await freeTcpPort();
  const pluginConfig = join(work, 'plugin.json');
  writeFileSync(
    pluginConfig,
    JSON.stringify({ db: { url: dbUrl }, http: { host: '127.0.0.1', port: pluginPort }, usage: { rollupDelayMs: ROLLUP_DELAY_MS }, log: { level: 'warn', format: 'json' } }),
  );
  const created = await runOctet(['agent-token', 'create', 'e2e-bench', '--config', pluginConfig]);
  const token = /^token[^:]*: (\S+)$/m.exec(created)?.[1];
  if (!token) throw new Error(`no token in: ${created}`);
  const pluginLines: string[] = [];
  const pluginChild = spawnOctet(['serve', '--config', pluginConfig], (l) => pluginLines.push(l));
  await waitForLine(pluginChild, 'octet serve', pluginLines, (l) => l.startsWith('Octet plugin at'));

  const radiusPort = await freePort();
  const httpPort = await freeTcpPort();
  const agentConfig = join(work, 'agent.json');
  writeFileSync(agentConfig, JSON.stringify(agentSettings(`http://127.0.0.1:${pluginPort}`, token, radiusPort, httpPort, 'info')));
  const agentLines: string[] = [];
  const agentChild = spawnOctet(['agent', '--config', agentConfig], (l) => {
    if (agentLines.length < 200) agentLines.push(l);
  });
  await waitForLine(agentChild, 'octet agent', agentLines, (l) => l.includes('"agent: started"'));
  return {
    radiusPort,
    processes: [
      { name: 'agent', pid: agentChild.pid! },
      { name: 'plugin', pid: pluginChild.pid! },
    ],
    stop: async () => {
      await stop(agentChild);
      await stop(pluginChild);
    },
  };
}

/** The agent and the plugin inside this script's process, beside the load generator. */
async function startOctetInProcess(dbUrl: string): Promise<OctetSide> {
  const config = pluginConfigSchema.parse({ db: { url: dbUrl }, http: { host: '127.0.0.1', port: 0 }, usage: { rollupDelayMs: ROLLUP_DELAY_MS } });
  const plugin = await startPlugin(config, { logger: nullLogger, modules: [ingestModule, usageModule] });
  const { token } = await buildIngest(plugin.ctx).agents.create('e2e-bench', 'bench');
  const agentPort = await freePort();
  const agent = await startAgent(agentConfigSchema.parse(agentSettings(plugin.url, token, agentPort, 0, 'error')), { logger: nullLogger });
  return {
    radiusPort: agent.radiusPort!,
    processes: [{ name: 'agent, plugin and load generator', pid: process.pid }],
    stop: async () => {
      await agent.stop().catch(() => undefined);
      await plugin.close().catch(() => undefined);
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, limitMs = 600_000): Promise<void> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function startFreeRadius(db: URL): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const dir = join(work, 'freeradius');
  const port = await freePort();
  for (const d of ['mods-enabled', 'sites-enabled', 'log', 'run', 'acct', 'mods-config/sql/main/mysql']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, 'radiusd.conf'),
    `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
raddbdir = ${dir}
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
logdir = ${dir}/log
run_dir = ${dir}/run
radacctdir = ${dir}/acct
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
name = freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
  destination = files
  file = \${logdir}/radius.log
}
security {
  allow_core_dumps = no
  reject_delay = 0
}
thread pool {
  start_servers = 8
  max_servers = 32
  min_spare_servers = 4
  max_spare_servers = 16
  max_queue_size = 65536
}
modules {
  $INCLUDE mods-enabled/
}
$INCLUDE clients.conf
$INCLUDE sites-enabled/
`,
  );
  writeFileSync(join(dir, 'clients.conf'), `client localhost {\n  ipaddr = 127.0.0.1\n  secret = ${SECRET}\n}\n`);
  // rlm_expr: the xlats Debian's queries use (tolower, md5).
  copyFileSync('/etc/freeradius/3.0/mods-available/expr', join(dir, 'mods-enabled', 'expr'));
  // Debian's queries, unchanged.
  writeFileSync(join(dir, 'mods-config/sql/main/mysql/queries.conf'), readFileSync(FR_QUERIES, 'utf8'));
  writeFileSync(
    join(dir, 'mods-enabled', 'sql'),
    `sql {
  dialect = "mysql"
  driver = "rlm_sql_mysql"
  mysql {
    warnings = auto
  }
  server = "${db.hostname}"
  port = ${db.port || 3306}
  login = "${decodeURIComponent(db.username) || 'root'}"
  password = "${decodeURIComponent(db.password)}"
  radius_db = "${db.pathname.slice(1)}"
  acct_table1 = "radacct"
  acct_table2 = "radacct"
  postauth_table = "radpostauth"
  authcheck_table = "radcheck"
  groupcheck_table = "radgroupcheck"
  authreply_table = "radreply"
  groupreply_table = "radgroupreply"
  usergroup_table = "radusergroup"
  delete_stale_sessions = yes
  pool {
    start = 8
    min = 4
    max = 32
    spare = 16
    uses = 0
    retry_delay = 30
    lifetime = 0
    idle_timeout = 60
  }
  client_table = "nas"
  group_attribute = "SQL-Group"
  $INCLUDE \${modconfdir}/\${.:name}/main/\${dialect}/queries.conf
}
`,
  );
  // As Debian's default site: acct_unique's key, then rlm_sql.
  writeFileSync(
    join(dir, 'sites-enabled', 'acct'),
    `server acct {
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${port}
  }
  accounting {
    update request {
      &Acct-Unique-Session-Id := "%{md5:%{User-Name},%{Acct-Session-ID},%{%{NAS-IPv6-Address}:-%{NAS-IP-Address}},%{NAS-Identifier},%{NAS-Port-ID},%{NAS-Port}}"
    }
    sql
  }
}
`,
  );
  const child = spawn('/usr/sbin/freeradius', ['-f', '-d', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    await sleep(100);
    if (readFileSync(join(dir, 'log', 'radius.log'), { encoding: 'utf8', flag: 'a+' }).includes('Ready to process requests')) return { port, child, dir };
  }
  throw new Error(`FreeRADIUS did not start; see ${dir}/log/radius.log: ${safeRead(join(dir, 'log', 'radius.log'))}`);
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface Cpu {
  /** CPU seconds of the side's own processes. */
  own: number;
  /** The same, by process. */
  parts: Array<{ name: string; seconds: number }>;
  /** CPU seconds of MariaDB's server meanwhile. */
  mariadb: number;
}
const MARIADB_PID = mariadbPid();
function cpuOf(processes: Array<{ name: string; pid: number }>): Cpu {
  const parts = processes.map((p) => ({ name: p.name, seconds: cpuSeconds(p.pid) }));
  return { own: parts.reduce((sum, p) => sum + p.seconds, 0), parts, mariadb: MARIADB_PID === undefined ? Number.NaN : cpuSeconds(MARIADB_PID) };
}
const cpuDelta = (a: Cpu, b: Cpu): Cpu => ({
  own: b.own - a.own,
  parts: b.parts.map((p, i) => ({ name: p.name, seconds: p.seconds - a.parts[i]!.seconds })),
  mariadb: b.mariadb - a.mariadb,
});
const perRequest = (seconds: number) => ((seconds * 1e6) / (SESSIONS * INTERIMS)).toFixed(1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

const loadBefore = loadavg();
const octetDb = await createTestDatabase('mysql');
const radiusDb = await createTestDatabase('mysql');
const octetSql = mysql.createPool({ uri: octetDb.url, connectionLimit: 2, supportBigNumbers: true, bigNumberStrings: true });
const radiusSql = mysql.createPool({ uri: radiusDb.url, connectionLimit: 2, multipleStatements: true, supportBigNumbers: true, bigNumberStrings: true });
let octet: OctetSide | undefined;
try {
  await radiusSql.query(readFileSync(FR_SCHEMA, 'utf8'));
  octet = ONE_PROCESS ? await startOctetInProcess(octetDb.url) : await startOctetProcesses(octetDb.url);
  const fr = await startFreeRadius(new URL(radiusDb.url));
  const want = expectedTotals();
  process.stdout.write(
    `${SESSIONS} sessions x ${INTERIMS} interims = ${SESSIONS * INTERIMS} Interim-Updates per round, ${SOCKETS} sockets x ${WINDOW} outstanding, rollupDelayMs ${ROLLUP_DELAY_MS}, ` +
      `${ONE_PROCESS ? 'agent and plugin in this process' : 'agent and plugin in their own processes'}\n`,
  );

  const octetRound = async (tag: string) => {
    const templates = packets(tag);
    const [[before]] = await octetSql.query<mysql.RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS id FROM usage_observations');
    const fromId = String(before!.id);
    const cpu0 = cpuOf(octet!.processes);
    const t0 = performance.now();
    const sent = await load(octet!.radiusPort, templates);
    const answeredS = (performance.now() - t0) / 1000;
    if (sent.givenUp > 0) throw new Error(`octet: ${sent.givenUp} requests unanswered`);
    let storedS = Number.NaN;
    await until('octet to store and roll up the round', async () => {
      const [[r]] = await octetSql.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n, COALESCE(SUM(rolled_up = 0), 0) AS p FROM usage_observations WHERE id > ?', [fromId]);
      if (Number(r!.n) === templates.length && Number.isNaN(storedS)) storedS = (performance.now() - t0) / 1000;
      return Number(r!.n) === templates.length && Number(r!.p) === 0;
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuDelta(cpu0, cpuOf(octet!.processes));
    const [[sum]] = await octetSql.query<mysql.RowDataPacket[]>(
      'SELECT CAST(COALESCE(SUM(download), 0) AS CHAR) AS d, CAST(COALESCE(SUM(upload), 0) AS CHAR) AS u FROM usage_hourly WHERE login LIKE ?',
      [`${tag}-sub%`],
    );
    if (BigInt(sum!.d) !== want.download || BigInt(sum!.u) !== want.upload) {
      throw new Error(`octet: usage_hourly holds ${sum!.d}/${sum!.u} bytes for ${tag}, expected ${want.download}/${want.upload}`);
    }
    return { seconds, answeredSeconds: answeredS, storedSeconds: storedS, retransmissions: sent.retransmissions, cpu };
  };

  const radiusRound = async (tag: string) => {
    const templates = packets(tag);
    const cpu0 = cpuOf([{ name: 'freeradius', pid: fr.child.pid! }]);
    const t0 = performance.now();
    const sent = await load(fr.port, templates);
    const answeredS = (performance.now() - t0) / 1000;
    if (sent.givenUp > 0) throw new Error(`freeradius: ${sent.givenUp} requests unanswered`);
    const final = BigInt(downloadOf(INTERIMS, 0));
    await until('radacct to hold every session with its last counters', async () => {
      const [[r]] = await radiusSql.query<mysql.RowDataPacket[]>(
        'SELECT COUNT(*) AS n, COALESCE(SUM(acctoutputoctets >= ?), 0) AS done, CAST(COALESCE(SUM(acctoutputoctets), 0) AS CHAR) AS d, CAST(COALESCE(SUM(acctinputoctets), 0) AS CHAR) AS u FROM radacct WHERE acctsessionid LIKE ?',
        [final.toString(), `${tag}-%`],
      );
      return Number(r!.n) === SESSIONS && BigInt(r!.d) === want.download && BigInt(r!.u) === want.upload;
    }, 60_000);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, answeredSeconds: answeredS, retransmissions: sent.retransmissions, cpu: cpuDelta(cpu0, cpuOf([{ name: 'freeradius', pid: fr.child.pid! }])) };
  };

  // Warm-up: connections, JIT, first pages; not reported.
  {
    const warmSessions = Math.min(1000, SESSIONS);
    const warm = (tag: string) => packets(tag).filter((_, i) => i % SESSIONS < warmSessions).slice(0, warmSessions);
    await load(octet.radiusPort, warm('warm-o'));
    await load(fr.port, warm('warm-r'));
  }
  const rounds: Array<{ octet: number; freeradius: number; ratio: number; octetCpu: Cpu; freeradiusCpu: Cpu }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const o = await octetRound(`o${r}`);
    const f = await radiusRound(`r${r}`);
    const ratio = f.seconds / o.seconds;
    rounds.push({ octet: o.seconds, freeradius: f.seconds, ratio, octetCpu: o.cpu, freeradiusCpu: f.cpu });
    process.stdout.write(
      `round ${r + 1}: octet ${o.seconds.toFixed(2)} s until rolled up (all answered after ${o.answeredSeconds.toFixed(2)} s, stored after ${o.storedSeconds.toFixed(2)} s, ${o.retransmissions} retransmissions), ` +
        `freeradius+rlm_sql ${f.seconds.toFixed(2)} s until in radacct (answered after ${f.answeredSeconds.toFixed(2)} s, ${f.retransmissions} retransmissions): ratio ${ratio.toFixed(2)}\n` +
        `  CPU per request: octet ${perRequest(o.cpu.own)} µs (${o.cpu.parts.map((p) => `${p.name} ${perRequest(p.seconds)}`).join(', ')}) + MariaDB ${perRequest(o.cpu.mariadb)} µs, freeradius ${perRequest(f.cpu.own)} µs + MariaDB ${perRequest(f.cpu.mariadb)} µs\n`,
    );
  }
  await stop(fr.child);
  const n = SESSIONS * INTERIMS;
  const octetMedian = median(rounds.map((x) => x.octet));
  const frMedian = median(rounds.map((x) => x.freeradius));
  const ratios = rounds.map((x) => x.ratio);
  const loadAfter = loadavg();
  process.stdout.write(
    `octet median ${octetMedian.toFixed(2)} s (range ${range(rounds.map((x) => x.octet))}; ${Math.round(n / octetMedian)}/s), ` +
      `freeradius+rlm_sql median ${frMedian.toFixed(2)} s (range ${range(rounds.map((x) => x.freeradius))}; ${Math.round(n / frMedian)}/s); ` +
      `ratio median ${median(ratios).toFixed(2)} (range ${range(ratios)}; target >= 2: ${median(ratios) >= 2 ? 'met' : 'NOT met'})\n`,
  );
  process.stdout.write(`load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(
    JSON.stringify({
      bench: 'radius-e2e',
      database: 'mariadb',
      sessions: SESSIONS,
      interims: INTERIMS,
      requests: n,
      rollupDelayMs: ROLLUP_DELAY_MS,
      shape: ONE_PROCESS ? 'one-process' : 'processes',
      rounds: rounds.map((x) => ({
        octet: Number(x.octet.toFixed(2)),
        freeradius: Number(x.freeradius.toFixed(2)),
        ratio: Number(x.ratio.toFixed(2)),
        octetCpuMicrosPerRequest: Number(perRequest(x.octetCpu.own)),
        octetMariadbCpuMicrosPerRequest: Number(perRequest(x.octetCpu.mariadb)),
        freeradiusCpuMicrosPerRequest: Number(perRequest(x.freeradiusCpu.own)),
        freeradiusMariadbCpuMicrosPerRequest: Number(perRequest(x.freeradiusCpu.mariadb)),
      })),
      octetMedianSeconds: Number(octetMedian.toFixed(2)),
      freeradiusMedianSeconds: Number(frMedian.toFixed(2)),
      ratio: Number(median(ratios).toFixed(2)),
      loadBefore: loadBefore.map((x) => Number(x.toFixed(2))),
      loadAfter: loadAfter.map((x) => Number(x.toFixed(2))),
    }) + '\n',
  );
} finally {
  await octet?.stop().catch(() => undefined);
  for (const c of children) await stop(c).catch(() => undefined);
  await octetSql.end();
  await radiusSql.end();
  await octetDb.drop();
  await radiusDb.drop();
  rmSync(work, { recursive: true, force: true });
}
