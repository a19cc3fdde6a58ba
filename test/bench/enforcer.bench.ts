/**
 * 10,000 suspensions applied to one simulated router.
 *
 *   npx tsx test/bench/enforcer.bench.ts [--services 10000]
 *
 * The RouterOS simulator runs as a child process (`octet simulate-router --sessions N`), so its CPU
 * is not the agent's. A plugin built from the wire format (test/support/enforcer/fake-plugin.ts)
 * streams N `suspended` events; the bench measures until every one is reported applied, then a
 * full reconciliation with nothing to repair, then N restores. Prints one JSON line last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { enforcementConfigSchema } from '../../agent/enforcer/config.js';
import { createEnforcer } from '../../agent/enforcer/index.js';
import { routerConfigSchema } from '../../agent/poller/config.js';
import { connectRouter } from '../../agent/poller/poller.js';
import { RouterOsClient } from '../../agent/routeros/index.js';
import { spawnSimulator } from '../../agent/simulator/child.js';
import { systemClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { FakeEnforcementPlugin, until } from '../support/enforcer/fake-plugin.js';

const { values } = parseArgs({ options: { services: { type: 'string', default: '10000' } } });
const N = Number(values.services);

const sim = await spawnSimulator(['--sessions', String(N), '--username', 'octet', '--password', 'pw']);
const dir = mkdtempSync(join(tmpdir(), 'octet-enforcer-bench-'));
const plugin = new FakeEnforcementPlugin();
await plugin.start();
const router = routerConfigSchema.parse({ name: 'bras1', host: sim.host, port: sim.port, username: 'octet', password: 'pw', timeoutSeconds: 120 });
const probe = await RouterOsClient.connect({ host: sim.host, port: sim.port, username: 'octet', password: 'pw', commandTimeoutMs: 120_000 });
const logins = (await probe.print('/ppp/active', { proplist: ['name'] })).map((r) => r['name']!);
const listSize = async () => (await probe.print('/ip/firewall/address-list', { proplist: ['.id'], query: ['list=octet-suspended'] })).length;

const { enforcer, close } = createEnforcer({
  config: enforcementConfigSchema.parse({ devices: [{ name: 'bras1', throttle: 'none' }] }),
  plugin: { url: plugin.url, token: plugin.token, timeoutSeconds: 120 },
  routers: [router],
  nases: [],
  stateDir: dir,
  connect: (r) => connectRouter(r, nullLogger),
  sessions: () => [],
  dictionaryFiles: [],
  clock: systemClock,
  logger: nullLogger,
});
await enforcer.start();
await until(() => plugin.streamCount === 1, 30_000, 'stream');
await enforcer.settled();

const okCount = (state: string) => {
  const last = new Map<number, { ok: boolean; applied: string }>();
  for (const a of plugin.applied) last.set(a.serviceId, a);
  return [...last.values()].filter((a) => a.ok && a.applied === state).length;
};

let t = performance.now();
logins.forEach((login, i) => plugin.set(i + 1, login, 'bras1', 'suspended'));
await until(() => okCount('suspended') === logins.length, 600_000, 'suspensions');
const suspendMs = performance.now() - t;
const entries = await listSize();

t = performance.now();
enforcer.reconcileAll();
await enforcer.settled();
const reconcileMs = performance.now() - t;

t = performance.now();
logins.forEach((login, i) => plugin.set(i + 1, login, 'bras1', 'active'));
await until(() => okCount('active') === logins.length, 600_000, 'restores');
const restoreMs = performance.now() - t;
const after = await listSize();

await close();
await probe.close();
await plugin.stop();
await sim.stop();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    services: logins.length,
    suspendSeconds: +(suspendMs / 1000).toFixed(2),
    suspensionsPerSecond: Math.round(logins.length / (suspendMs / 1000)),
    entriesOnRouter: entries,
    reconcileNoDriftSeconds: +(reconcileMs / 1000).toFixed(2),
    restoreSeconds: +(restoreMs / 1000).toFixed(2),
    entriesAfterRestore: after,
    badReports: plugin.badReports.length,
  }),
);
