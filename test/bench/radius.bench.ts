/**
 * RADIUS accounting throughput: the agent (accounting server + durable spool, every request
 * answered only after its record is on disk: one O_DSYNC write per group commit) against
 * FreeRADIUS 3.2 from Debian with its `detail` writer, under the same load from the same generator.
 *
 *   npx tsx test/bench/radius.bench.ts [--requests 60000] [--rounds 5] [--sockets 4] [--window 16] [--shapes templates,fresh]
 *
 * Two load shapes, each against both servers in alternating rounds:
 * - templates: our generator, packets encoded up front and only re-signed when sent, 10,000
 *   sessions, --sockets x --window outstanding;
 * - fresh: an independent shape (test/bench/radius-fresh-load.ts, its own process): one socket,
 *   32 outstanding, every packet freshly encoded by the npm `radius` package as it is sent, 5,000
 *   sessions. The generator's own CPU per request is printed, to show it is not the bottleneck.
 *
 * The default window (4 sockets x 16 outstanding) is one FreeRADIUS absorbs without dropping;
 * at 4 x 64 it drops a few dozen requests per run and its figure then includes the 2 s
 * retransmission timeout of the generator.
 *
 * --also DIR (repeatable): also runs the agent harness of another source tree (e.g. an export of
 * the previous commit, `git archive HEAD | tar -x -C DIR` plus a node_modules link) in the same
 * alternating rounds, against the same generators: an A/B comparison of two versions of the agent
 * that the load on a shared machine hits alike. Its rounds, median and per-round quotients against
 * this tree's agent are printed after the agent's.
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
    shapes: { type: 'string', default: 'templates,fresh' },
    'fresh-window': { type: 'string', default: '32' },
    also: { type: 'string', multiple: true, default: [] },
  },
});
const SHAPES = values.shapes.split(',').map((x) => x.trim()).filter(Boolean);
const FRESH_WINDOW = Number(values['fresh-window']);
const FRESH_LOAD = fileURLToPath(new URL('./radius-fresh-load.ts', import.meta.url));
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

/** The fresh-encoding shape in its own process; the server's CPU is measured around it. */
async function measuredFresh(name: string, pid: number, port: number, tag: string) {
  const cpu0 = cpuSeconds(pid);
  const child = spawn(process.execPath, ['--import', 'tsx', FRESH_LOAD, '--port', String(port), '--secret', SECRET, '--requests', String(REQUESTS), '--window', String(FRESH_WINDOW), '--tag', tag], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fresh load exited with ${code}`)));
  });
  const cpu = cpuSeconds(pid) - cpu0;
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  const r = JSON.parse(line) as { answered: number; elapsedMs: number; p50ms: number; p99ms: number; retransmissions: number; cpuMs: number };
  return {
    name,
    requests: REQUESTS,
    answered: r.answered,
    givenUp: 0,
    retransmissions: r.retransmissions,
    seconds: r.elapsedMs / 1000,
    perSecond: Math.round(r.answered / (r.elapsedMs / 1000)),
    p50ms: Number(r.p50ms.toFixed(2)),
    p99ms: Number(r.p99ms.toFixed(2)),
    cpuMicrosPerRequest: Math.round((cpu * 1e6) / r.answered),
    generatorCpuMicrosPerRequest: Math.round((r.cpuMs * 1000) / r.answered),
    generatorCpuShare: Number((r.cpuMs / r.elapsedMs).toFixed(2)),
  };
}

async function startAgentHarness(harness = HARNESS, dirName = 'agent'): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [...(process.env.HARNESS_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', harness, '--dir', join(work, dirName), '--secret', SECRET, ...(process.env.HARNESS_ARGS ?? '').split(' ').filter(Boolean)], {
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
  const others: Array<{ dir: string; port: number; child: ChildProcess }> = [];
  for (const [i, dir] of values.also.entries()) {
    others.push({ dir, ...(await startAgentHarness(join(dir, 'test/e2e/agent/crash/harness.ts'), `also${i}`)) });
  }
  const fr = await startFreeRadius();
  await load(agent.port, warm);
  for (const o of others) await load(o.port, warm);
  await load(fr.port, warm);
  // Alternate the servers (and the shapes), fresh packets each round, so that noise from other
  // load on the machine hits both alike; report each side's median round, per shape.
  type Run = Awaited<ReturnType<typeof measured>> & { generatorCpuMicrosPerRequest?: number; generatorCpuShare?: number };
  const runs = new Map<string, { agent: Run[]; fr: Run[]; others: Run[][] }>(SHAPES.map((shape) => [shape, { agent: [], fr: [], others: others.map(() => []) }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of SHAPES) {
      const r = runs.get(shape)!;
      // A round of this shape against one server; tags keep each round's sessions apart.
      const roundOn = (name: string, server: { child: ChildProcess; port: number }, tag: string) =>
        shape === 'fresh' ? measuredFresh(name, server.child.pid!, server.port, `f${tag}`) : measured(name, server.child.pid!, server.port, templates(REQUESTS, tag));
      const agentRun = async () => {
        r.agent.push(await roundOn('octet-agent (durable write per group commit)', agent, `a${round}`));
      };
      const otherRuns = async () => {
        for (const [i, o] of others.entries()) r.others[i]!.push(await roundOn(`octet-agent of ${o.dir}`, o, `o${i}-${round}`));
      };
      // With --also, which agent goes first alternates from round to round.
      if (round % 2 === 0) {
        await agentRun();
        await otherRuns();
      } else {
        await otherRuns();
        await agentRun();
      }
      r.fr.push(await roundOn('freeradius 3.2 detail (no fsync)', fr, `f${round}`));
    }
  }
  await stop(agent.child);
  for (const o of others) await stop(o.child);
  await stop(fr.child);
  const median = (xs: Run[]) => [...xs].sort((x, y) => x.perSecond - y.perSecond)[Math.floor(xs.length / 2)]!;
  const spread = (xs: Run[]) => {
    const v = xs.map((r) => r.perSecond);
    return `${Math.min(...v)}-${Math.max(...v)}`;
  };
  const json: Record<string, unknown> = { bench: 'radius', requests: REQUESTS, rounds: ROUNDS };
  for (const [shape, r] of runs) {
    const agentResult = median(r.agent);
    const frResult = median(r.fr);
    const ratio = agentResult.perSecond / frResult.perSecond;
    // Round i of each side ran back to back, so their quotient is least affected by drifting load.
    const pairRatios = r.agent.map((a, i) => a.perSecond / r.fr[i]!.perSecond).sort((x, y) => x - y);
    const pairMedian = pairRatios[Math.floor(pairRatios.length / 2)]!;
    const shapeText =
      shape === 'fresh'
        ? `fresh: ${REQUESTS} Interim-Updates per round, each encoded by the npm radius package as sent, 5,000 sessions, 1 socket x window ${FRESH_WINDOW}`
        : `templates: ${REQUESTS} Interim-Updates per round (pre-encoded, re-signed), 10,000 sessions, ${SOCKETS} sockets x window ${WINDOW}`;
    console.log(`\n${shapeText}; ${ROUNDS} rounds, ${cpus().length} CPUs, loopback, load average before ${loadBefore.toFixed(1)}`);
    console.log(`  rounds agent req/s: ${r.agent.map((x) => x.perSecond).join(', ')} (spread ${spread(r.agent)}); freeradius req/s: ${r.fr.map((x) => x.perSecond).join(', ')} (spread ${spread(r.fr)})`);
    console.log(`  rounds agent CPU µs/req: ${r.agent.map((x) => x.cpuMicrosPerRequest).join(', ')}; freeradius CPU µs/req: ${r.fr.map((x) => x.cpuMicrosPerRequest).join(', ')}`);
    if (shape === 'fresh') {
      console.log(`  generator CPU µs/req (its share of one core): against the agent ${r.agent.map((x) => `${x.generatorCpuMicrosPerRequest} (${x.generatorCpuShare})`).join(', ')}; against freeradius ${r.fr.map((x) => `${x.generatorCpuMicrosPerRequest} (${x.generatorCpuShare})`).join(', ')}`);
    }
    for (const x of [agentResult, frResult]) {
      console.log(
        `  ${x.name.padEnd(46)} ${String(x.perSecond).padStart(7)} req/s  p50 ${x.p50ms.toFixed(2)} ms  p99 ${x.p99ms.toFixed(2)} ms  CPU ${x.cpuMicrosPerRequest} µs/req  answered ${x.answered}/${x.requests}  retransmissions ${x.retransmissions}  (median round)`,
      );
    }
    const cpuRatio = frResult.cpuMicrosPerRequest / agentResult.cpuMicrosPerRequest;
    console.log(`  ratio agent/freeradius: ${ratio.toFixed(2)}x requests/s (target >= 1.0x); per round ${pairRatios.map((x) => x.toFixed(2)).join(', ')} (median ${pairMedian.toFixed(2)}x); ${cpuRatio.toFixed(2)}x in CPU per request (>1 means the agent uses less)`);
    const othersJson: unknown[] = [];
    for (const [i, o] of others.entries()) {
      const rounds = r.others[i]!;
      const m = median(rounds);
      const vsAgent = r.agent.map((a, j) => a.perSecond / rounds[j]!.perSecond).sort((x, y) => x - y);
      const vsFr = rounds.map((a, j) => a.perSecond / r.fr[j]!.perSecond).sort((x, y) => x - y);
      console.log(`  also ${o.dir}: rounds req/s ${rounds.map((x) => x.perSecond).join(', ')} (spread ${spread(rounds)}); CPU µs/req ${rounds.map((x) => x.cpuMicrosPerRequest).join(', ')}`);
      console.log(
        `    ${'median round'.padEnd(44)} ${String(m.perSecond).padStart(7)} req/s  p50 ${m.p50ms.toFixed(2)} ms  p99 ${m.p99ms.toFixed(2)} ms  CPU ${m.cpuMicrosPerRequest} µs/req  answered ${m.answered}/${m.requests}  retransmissions ${m.retransmissions}`,
      );
      console.log(
        `    ratio to freeradius ${(m.perSecond / frResult.perSecond).toFixed(2)}x (per round ${vsFr.map((x) => x.toFixed(2)).join(', ')}); this tree's agent / it per round ${vsAgent.map((x) => x.toFixed(2)).join(', ')} (median ${vsAgent[Math.floor(vsAgent.length / 2)]!.toFixed(2)}x)`,
      );
      othersJson.push({ dir: o.dir, median: m, rounds: rounds.map((x) => x.perSecond), cpu: rounds.map((x) => x.cpuMicrosPerRequest), ratioToFreeradius: Number((m.perSecond / frResult.perSecond).toFixed(3)), agentOverIt: vsAgent.map((x) => Number(x.toFixed(3))) });
    }
    json[shape] = { ...(others.length > 0 ? { also: othersJson } : {}), agent: agentResult, freeradius: frResult, ratio: Number(ratio.toFixed(3)), roundRatios: pairRatios.map((x) => Number(x.toFixed(3))), roundRatioMedian: Number(pairMedian.toFixed(3)), cpuRatio: Number(cpuRatio.toFixed(3)), agentRounds: r.agent.map((x) => x.perSecond), freeradiusRounds: r.fr.map((x) => x.perSecond) };
  }
  console.log(`load average after ${loadavg()[0]!.toFixed(1)}`);
  console.log(JSON.stringify(json));
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
