/**
 * Poller CPU per poll of 10,000 PPP sessions (issue 4; target < 1 s). The simulator runs in a
 * child process, so the figures are the agent's side only: RouterOS client, decision logic,
 * building the observations, and the atomic state write (fsync included). Every poll sees all
 * 10,000 counters changed (the simulator's traffic runs on the real clock), which is the worst case.
 *
 *   npx tsx test/bench/poller.bench.ts [sessions] [polls]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { routerConfigSchema } from '../../agent/poller/config.js';
import { createPollers } from '../../agent/poller/poller.js';
import { spawnSimulator } from '../../agent/simulator/child.js';
import type { ObservationSink } from '../../agent/types.js';
import { systemClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';

const SESSIONS = Number(process.argv[2] ?? 10_000);
const POLLS = Number(process.argv[3] ?? 6);

let observed = 0;
const sink: ObservationSink = {
  async append(records) {
    observed += records.length;
  },
};

const sim = await spawnSimulator(['--sessions', String(SESSIONS), '--username', 'bench', '--password', 'bench']);
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'octet-poller-bench-'));
const router = routerConfigSchema.parse({ name: 'bench-bras', host: '127.0.0.1', port: sim.port, username: 'bench', password: 'bench', timeoutSeconds: 120 });
const pollers = createPollers({ routers: [router], sink, inventory: { publish() {} }, stateDir, clock: systemClock, logger: nullLogger, registry: new Registry() });

interface PollFigures {
  poll: number;
  observations: number;
  wallMs: number;
  cpuMs: number;
}
const polls: PollFigures[] = [];
try {
  for (let i = 1; i <= POLLS; i++) {
    const before = observed;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await pollers.pollNow('bench-bras');
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const status = pollers.status()[0]!;
    if (!status.up) throw new Error(`poll failed: ${status.lastError}`);
    polls.push({ poll: i, observations: observed - before, wallMs: Math.round(wallMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
  }
} finally {
  await pollers.stop();
  await sim.stop();
}
const stateBytes = statSync(path.join(stateDir, 'poller-bench-bras.json')).size;
rmSync(stateDir, { recursive: true, force: true });

for (const p of polls) {
  console.log(`poll ${p.poll}: ${p.observations} observations, wall ${p.wallMs} ms, agent CPU ${p.cpuMs} ms${p.poll === 1 ? ' (first poll: all sessions new, plus inventory)' : ''}`);
}
const steady = polls.slice(1);
const meanCpu = Math.round(steady.reduce((a, p) => a + p.cpuMs, 0) / Math.max(1, steady.length));
const worst = Math.max(...polls.map((p) => p.cpuMs));
console.log(`state file: ${(stateBytes / 1048576).toFixed(1)} MB; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
console.log(`mean CPU per poll after the first: ${meanCpu} ms; worst ${worst} ms; target < 1000 ms: ${worst < 1000 ? 'met' : 'NOT met'}`);
console.log(JSON.stringify({ bench: 'poller', sessions: SESSIONS, node: process.version, polls, meanCpuMsAfterFirst: meanCpu, worstCpuMs: worst, stateBytes, targetCpuMs: 1000, met: worst < 1000 }));
