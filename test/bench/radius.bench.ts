/**
 * RADIUS accounting throughput: the agent (accounting server + durable spool, every request
 * answered only after its record is on disk: one O_DSYNC write per group commit) against
 * FreeRADIUS 3.2 from Debian with its `detail` writer, under the same load from the same generator.
 *
 *   npx tsx test/bench/radius.bench.ts [--requests 60000] [--rounds 5] [--sockets 4] [--window 16]
 *
 * The default window (4 sockets x 16 outstanding) is one FreeRADIUS absorbs without dropping;
 * at 4 x 64 it drops a few dozen requests per run and its figure then includes the 2 s
 * retransmission timeout of the generator.
 *
 * Environment: HARNESS_NODE_FLAGS (node flags for the agent's process, e.g. --cpu-prof) and
 * HARNESS_ARGS (harness options, e.g. --gc-stats: GC pauses and event-loop delay on stderr).
 *
 * Prints requests/s and latency p50/p99 for each, the ratio agent/FreeRADIUS (target ≥ 1.0),
 * then one JSON line. The two run in alternating rounds under the same load; each side's median
 * round is reported, with every round and the per-round ratios, so that noise from other work on
 * the machine shows as a spread instead of hiding in one figure (the load average before and
 * after is printed too). Loopback only; each run is bounded (a request unanswered after 5 retries
 * is given up and reported).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRadiusCodec } from '../../agent/radius/codec.js';
import { MIKROTIK_DICTIONARY } from '../../agent/main.js';
import { LoadGenerator, percentile, type LoadResult } from '../e2e/agent/crash/load-generator.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '60000' },
    sockets: { type: 'string', default: '4' },
    window: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
  },
});
const REQUESTS = Number(values.requests);
const SOCKETS = Number(values.sockets);
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);
const SECRET = 'bench-secret-42';
const HARNESS = fileURLToPath(new URL('../e2e/agent/crash/harness.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'octet-radius-bench-'));
const children: ChildProcess[] = [];

function templates(n: number, tag: string): Buffer[] {
  const codec = createRadiusCodec([MIKROTIK_DICTIONARY]);
  const out: Buffer[] = [];
  const sessions = 10_000;
  for (let i = 0; i < n; i++) {
    const s = i % sessions;
    const round = Math.floor(i / sessions) + 1;
    out.push(
      codec.encodeRequest({
        code: 'Accounting-Request',
        secret: SECRET,
        identifier: 0,
        attributes: [
          ['Acct-Status-Type', 'Interim-Update'],
          ['Acct-Session-Id', `${tag}-${s.toString(16).padStart(8, '0')}`],
          ['User-Name', `subscriber${s}`],
          ['NAS-IP-Address', '127.0.0.1'],
          ['NAS-Identifier', 'bench-nas'],
          ['NAS-Port-Id', 'ether1'],
          ['Framed-IP-Address', `100.64.${(s >> 8) & 255}.${s & 255}`],
          ['Calling-Station-Id', 'AA:BB:CC:DD:EE:FF'],
          ['Acct-Session-Time', round * 300],
          ['Acct-Input-Octets', (round * 1_000_003) % 2 ** 32],
          ['Acct-Output-Octets', (round * 7_000_009) % 2 ** 32],
          ['Acct-Input-Gigawords', 0],
          ['Acct-Output-Gigawords', round],
          ['Event-Timestamp', new Date(Date.UTC(2026, 2, 1) + round * 300_000)],
          ['Acct-Delay-Time', 0],
          ['Vendor-Specific', 14988, [['Mikrotik-Rate-Limit', '10M/20M']]],
        ],
      }),
    );
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function load(port: number, packets: Buffer[]): Promise<LoadResult> {
  return new LoadGenerator({ port, secret: SECRET, templates: packets, sockets: SOCKETS, window: WINDOW, timeoutMs: 2000, maxRetries: 5 }).run();
}

/** CPU seconds (user + system, all threads) a process has used, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs the load and measures the server's CPU time per request: a figure other load on the machine hardly moves. */
async function measured(name: string, pid: number, port: number, packets: Buffer[]) {
  const cpu0 = cpuSeconds(pid);
  const r = await load(port, packets);
  const cpu = cpuSeconds(pid) - cpu0;
  return { ...summary(name, r), cpuMicrosPerRequest: Math.round((cpu * 1e6) / r.answered.length) };
}

async function startAgentHarness(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [...(process.env.HARNESS_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', HARNESS, '--dir', join(work, 'agent'), '--secret', SECRET, ...(process.env.HARNESS_ARGS ?? '').split(' ').filter(Boolean)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`harness exited with ${code}`)));
  });
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

async function startFreeRadius(): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const dir = join(work, 'freeradius');
  const port = await freePort();
  for (const d of ['mods-enabled', 'sites-enabled', 'log', 'run', 'acct']) mkdirSync(join(dir, d), { recursive: true });
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
  start_servers = 4
  max_servers = 8
  min_spare_servers = 2
  max_spare_servers = 8
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
  writeFileSync(
    join(dir, 'mods-enabled', 'detail'),
    'detail {\n  filename = ${radacctdir}/detail\n  escape_filenames = no\n  permissions = 0600\n  header = "%t"\n}\n',
  );
  copyFileSync('/etc/freeradius/3.0/mods-available/always', join(dir, 'mods-enabled', 'always'));
  writeFileSync(
    join(dir, 'sites-enabled', 'acct'),
    `server acct {\n  listen {\n    type = acct\n    ipaddr = 127.0.0.1\n    port = ${port}\n  }\n  accounting {\n    detail\n  }\n}\n`,
  );
  const child = spawn('/usr/sbin/freeradius', ['-f', '-d', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  // Ready when it answers an accounting request.
  const probe = templates(1, 'probe');
  for (let i = 0; i < 100; i++) {
    const r = await new LoadGenerator({ port, secret: SECRET, templates: probe, timeoutMs: 200, maxRetries: 0 }).run();
    if (r.answered[0]) return { port, child, dir };
    if (child.exitCode !== null) break;
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

function summary(name: string, r: LoadResult) {
  const answered = r.answered.reduce((n, v) => n + v, 0);
  return {
    name,
    requests: r.answered.length,
    answered,
    givenUp: r.givenUp,
    retransmissions: r.retransmissions,
    seconds: r.elapsedMs / 1000,
    perSecond: Math.round(answered / (r.elapsedMs / 1000)),
    p50ms: Number(percentile(r.latenciesMs, 50).toFixed(2)),
    p99ms: Number(percentile(r.latenciesMs, 99).toFixed(2)),
  };
}

const loadBefore = loadavg()[0]!;
try {
  const warm = templates(3000, 'warm');
  const agent = await startAgentHarness();
  const fr = await startFreeRadius();
  await load(agent.port, warm);
  await load(fr.port, warm);
  // Alternate the two, fresh packets each round, so that noise from other load on the machine
  // hits both alike; report each side's median round.
  type Run = Awaited<ReturnType<typeof measured>>;
  const agentRuns: Run[] = [];
  const frRuns: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    agentRuns.push(await measured('octet-agent (durable write per group commit)', agent.child.pid!, agent.port, templates(REQUESTS, `a${round}`)));
    frRuns.push(await measured('freeradius 3.2 detail (no fsync)', fr.child.pid!, fr.port, templates(REQUESTS, `f${round}`)));
  }
  await stop(agent.child);
  await stop(fr.child);
  const median = (runs: Run[]) => [...runs].sort((x, y) => x.perSecond - y.perSecond)[Math.floor(runs.length / 2)]!;
  const agentResult = median(agentRuns);
  const frResult = median(frRuns);
  const ratio = agentResult.perSecond / frResult.perSecond;
  // Round i of each side ran back to back, so their quotient is least affected by drifting load.
  const pairRatios = agentRuns.map((a, i) => a.perSecond / frRuns[i]!.perSecond).sort((x, y) => x - y);
  const pairMedian = pairRatios[Math.floor(pairRatios.length / 2)]!;
  const spread = (runs: Run[]) => {
    const v = runs.map((r) => r.perSecond);
    return `${Math.min(...v)}-${Math.max(...v)}`;
  };
  console.log(`load: ${REQUESTS} Interim-Updates per round, ${ROUNDS} rounds, ${SOCKETS} sockets x window ${WINDOW} outstanding, ${cpus().length} CPUs, loopback, load average before ${loadBefore.toFixed(1)}`);
  console.log(`rounds agent req/s: ${agentRuns.map((r) => r.perSecond).join(', ')} (spread ${spread(agentRuns)}); freeradius req/s: ${frRuns.map((r) => r.perSecond).join(', ')} (spread ${spread(frRuns)})`);
  console.log(`rounds agent CPU µs/req: ${agentRuns.map((r) => r.cpuMicrosPerRequest).join(', ')}; freeradius CPU µs/req: ${frRuns.map((r) => r.cpuMicrosPerRequest).join(', ')}`);
  for (const r of [agentResult, frResult]) {
    console.log(
      `${r.name.padEnd(46)} ${String(r.perSecond).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  CPU ${r.cpuMicrosPerRequest} µs/req  answered ${r.answered}/${r.requests}  retransmissions ${r.retransmissions}  (median round)`,
    );
  }
  const cpuRatio = frResult.cpuMicrosPerRequest / agentResult.cpuMicrosPerRequest;
  console.log(`ratio agent/freeradius: ${ratio.toFixed(2)}x requests/s (target >= 1.0x); per round ${pairRatios.map((r) => r.toFixed(2)).join(', ')} (median ${pairMedian.toFixed(2)}x); ${cpuRatio.toFixed(2)}x in CPU per request (>1 means the agent uses less); load average after ${loadavg()[0]!.toFixed(1)}`);
  console.log(JSON.stringify({ bench: 'radius', requests: REQUESTS, rounds: ROUNDS, sockets: SOCKETS, window: WINDOW, agent: agentResult, freeradius: frResult, ratio: Number(ratio.toFixed(3)), roundRatios: pairRatios.map((r) => Number(r.toFixed(3))), roundRatioMedian: Number(pairMedian.toFixed(3)), cpuRatio: Number(cpuRatio.toFixed(3)), agentRounds: agentRuns.map((r) => r.perSecond), freeradiusRounds: frRuns.map((r) => r.perSecond) }));
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
