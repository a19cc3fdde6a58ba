/**
 * RouterOS client cost per poll of a large BRAS: print 10,000 /ppp/active and 10,000 /interface
 * rows through our client from the simulator, which runs in a child process so that only the
 * client's CPU is measured. Two runs (the second shows the warmed-up JIT). Target: < 1 s of client
 * CPU for the 20,000 rows.
 *
 *   npx tsx test/bench/routeros.bench.ts [sessions]
 */
import { RouterOsClient } from '../../agent/routeros/client.js';
import { spawnSimulator } from '../../agent/simulator/child.js';

const SESSIONS = Number(process.argv[2] ?? 10_000);

interface RunFigures {
  run: number;
  activeRows: number;
  interfaceRows: number;
  wallMs: number;
  cpuMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  heapDeltaMB: number;
  rssMB: number;
  bytesReceived: number;
}

const sim = await spawnSimulator(['--sessions', String(SESSIONS), '--username', 'bench', '--password', 'bench']);
const client = await RouterOsClient.connect({ host: '127.0.0.1', port: sim.port, username: 'bench', password: 'bench', commandTimeoutMs: 120_000 });
const runs: RunFigures[] = [];
try {
  for (let run = 1; run <= 2; run++) {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const active = await client.print('/ppp/active');
    const interfaces = await client.print('/interface');
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const mem = process.memoryUsage();
    let bytes = 0;
    for (const rows of [active, interfaces]) for (const r of rows) for (const k in r) bytes += k.length + r[k]!.length + 3;
    runs.push({
      run,
      activeRows: active.length,
      interfaceRows: interfaces.length,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      heapDeltaMB: Math.round(((mem.heapUsed - heapBefore) / 1048576) * 10) / 10,
      rssMB: Math.round((mem.rss / 1048576) * 10) / 10,
      bytesReceived: bytes,
    });
  }
} finally {
  client.destroy();
  await sim.stop();
}

for (const r of runs) {
  console.log(
    `run ${r.run}: ${r.activeRows} /ppp/active + ${r.interfaceRows} /interface rows: wall ${r.wallMs} ms, ` +
      `client CPU ${r.cpuMs} ms (user ${r.cpuUserMs}, system ${r.cpuSystemMs}), heap +${r.heapDeltaMB} MB (rows held), RSS ${r.rssMB} MB`,
  );
}
const worst = Math.max(...runs.map((r) => r.cpuMs));
console.log(`target: < 1000 ms client CPU for ${2 * SESSIONS} rows: ${worst < 1000 ? 'met' : 'NOT met'} (worst ${worst} ms)`);
console.log(JSON.stringify({ bench: 'routeros-client', sessions: SESSIONS, node: process.version, runs, targetCpuMs: 1000, met: worst < 1000 }));
