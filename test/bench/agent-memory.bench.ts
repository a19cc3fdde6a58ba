/**
 * Agent memory with 100,000 open RADIUS sessions (target: RSS < 200 MB).
 *
 *   npx tsx test/bench/agent-memory.bench.ts [--sessions 100000]
 *
 * Runs the agent's RADIUS side (accounting server, session book, spool) as a child process, opens
 * the sessions with a Start each and then sends one Interim-Update each (so the retransmission
 * cache is full too), and reads the child's VmRSS / VmHWM from /proc. It does so twice: as the
 * agent runs (V8's default heap settings: see runAgentCommand in agent/main.ts), and with
 * `--heap-growing-percent=20` for comparison (less memory, slower: issue 4). The target applies
 * to the first. Prints one JSON line last.
 *
 * The harness runs TypeScript through tsx like `octet agent` does; tsx's loader thread alone
 * accounts for about 35 MB of the idle figure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MIKROTIK_DICTIONARY } from '../../agent/main.js';
import { createRadiusCodec } from '../../agent/radius/codec.js';
import { LoadGenerator } from '../e2e/agent/crash/load-generator.js';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '100000' } } });
const SESSIONS = Number(values.sessions);
const SECRET = 'memory-bench';
const HARNESS = fileURLToPath(new URL('../e2e/agent/crash/harness.ts', import.meta.url));
const TARGET_MB = 200;

function memory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
}

const codec = createRadiusCodec([MIKROTIK_DICTIONARY]);
function packets(status: string, round: number): Buffer[] {
  return Array.from({ length: SESSIONS }, (_, i) =>
    codec.encodeRequest({
      code: 'Accounting-Request',
      secret: SECRET,
      identifier: 0,
      attributes: [
        ['Acct-Status-Type', status],
        ['Acct-Session-Id', `81${i.toString(16).padStart(8, '0')}`],
        ['User-Name', `subscriber-${i}@isp.example`],
        ['NAS-IP-Address', '127.0.0.1'],
        ['Framed-IP-Address', `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`],
        ['Calling-Station-Id', `AA:BB:CC:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`.toUpperCase()],
        ['Acct-Session-Time', round * 300],
        ['Acct-Output-Octets', (round * 123_456_789) % 2 ** 32],
        ['Acct-Input-Octets', round * 12_345_678],
        ['Event-Timestamp', new Date(Date.UTC(2026, 2, 1) + round * 300_000)],
      ],
    }),
  );
}
const load = [packets('Start', 0), packets('Interim-Update', 1)];

async function measure(label: string, harnessFlags: string[], nodeFlags: string[] = []) {
  const work = mkdtempSync(join(tmpdir(), 'octet-memory-bench-'));
  // --expose-gc only lets the harness run a full GC when asked, after the measurement.
  const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, '--import', 'tsx', HARNESS, '--dir', work, '--secret', SECRET, ...harnessFlags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: child.stdout! });
    const nextLine = () =>
      new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`harness exited (${code})`)));
      });
    const { port, pid } = JSON.parse(await nextLine()) as { port: number; pid: number };
    const idle = memory(pid);
    const t0 = performance.now();
    for (const batch of load) {
      const r = await new LoadGenerator({ port, secret: SECRET, templates: batch, sockets: 4, window: 16, timeoutMs: 2000, maxRetries: 10 }).run();
      if (r.givenUp > 0) throw new Error(`${r.givenUp} requests unanswered`);
    }
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const loaded = memory(pid);
    const reply = nextLine();
    child.kill('SIGUSR2');
    const inside = JSON.parse(await reply) as { memory: NodeJS.MemoryUsage; openSessions: number };
    const afterGc = memory(pid);
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    return {
      node: label,
      openSessions: inside.openSessions,
      idleRssMb: idle.rssMb,
      rssMb: loaded.rssMb,
      peakRssMb: loaded.hwmMb,
      afterGcRssMb: afterGc.rssMb,
      heapUsedMb: mb(inside.memory.heapUsed),
      heapTotalMb: mb(inside.memory.heapTotal),
      requestsPerSecond: Math.round((2 * SESSIONS) / seconds),
      met: loaded.hwmMb < TARGET_MB,
    };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
  }
}

const results = [await measure('agent (V8 heap defaults)', []), await measure('heap growing 20% (for comparison)', [], ['--heap-growing-percent=20'])];
for (const r of results) {
  console.log(
    `${r.node.padEnd(33)} ${r.openSessions} open sessions: RSS ${r.rssMb} MB (peak ${r.peakRssMb} MB; idle ${r.idleRssMb} MB; ${r.afterGcRssMb} MB after a full GC), ` +
      `heap ${r.heapUsedMb} of ${r.heapTotalMb} MB, ${r.requestsPerSecond} req/s while loading; peak < ${TARGET_MB} MB: ${r.met ? 'met' : 'NOT met'}`,
  );
}
console.log(JSON.stringify({ bench: 'agent-memory', sessions: SESSIONS, targetMb: TARGET_MB, met: results[0]!.met, results }));
