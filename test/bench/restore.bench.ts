/**
 * Payment to restoration on the router, on real parts: the plugin as `octet serve` starts it
 * (startPlugin, MariaDB by default), the agent with its enforcer (startAgent), and the RouterOS
 * simulator as the router.
 *
 *   npx tsx test/bench/restore.bench.ts [--db mysql|sqlite] [--payments 100]
 *
 * N accounts, each with one PPP subscriber connected on the simulated router and one issued
 * invoice 40 days past due. A real dunning evaluation suspends them all; the bench waits until
 * every address-list entry is on the router. Then it pays each account in full through
 * POST /api/v1/payments, in three load shapes (a third back to back, then bursts of 10 sent at
 * once a second apart, then one every 200 ms), and times each from the 201 until that service's
 * entry is gone from the router's address list (the simulator's state, read every 2 ms). A removal
 * seen before the 201 arrived counts as 0 ms. Target: p95 ≤ 5 s. Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { QueryTypes } from 'sequelize';
import { agentConfigSchema } from '../../agent/config.js';
import { startAgent } from '../../agent/main.js';
import { startSimulator } from '../../agent/simulator/index.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { startPlugin } from '../../plugin/main.js';
import { createTestDatabase, type TestDialect } from '../support/databases.js';

const { values } = parseArgs({ options: { db: { type: 'string', default: 'mysql' }, payments: { type: 'string', default: '100' } } });
if (values.db !== 'mysql' && values.db !== 'sqlite') throw new Error('--db must be mysql or sqlite');
const dialect = values.db as TestDialect;
const N = Number(values.payments);
if (!Number.isInteger(N) || N < 10) throw new Error('--payments must be a whole number of at least 10');

const ROUTER = 'bras-bench';
const TZ = 'Europe/Berlin';
const TOTAL_MINOR = 2975n;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const database = await createTestDatabase(dialect);
const dir = mkdtempSync(join(tmpdir(), 'octet-restore-bench-'));
const stops: Array<() => Promise<void>> = [];
try {
  const config = pluginConfigSchema.parse({
    db: { url: database.url },
    http: { host: '127.0.0.1', port: 0 },
    billing: { timezone: TZ, currency: 'EUR', schedule: { enabled: false } },
    // Suspends any overdue amount at any hour; the schedule is off: the bench runs one evaluation.
    dunning: { reminders: [], graceDays: 0, suspendAfterDays: 1, minimumOverdue: {}, window: { weekdays: [1, 2, 3, 4, 5, 6, 7], fromHour: 0, toHour: 24, holidays: [] }, schedule: { enabled: false } },
    enforcement: { fairUse: { enabled: false } },
  });
  const plugin = await startPlugin(config, { logger: nullLogger });
  stops.push(() => plugin.close());
  const { token: agentToken } = await plugin.services.ingest.agents.create('pop-bench', 'bench');
  const { token: apiToken } = await plugin.ctx.services.auth.createApiToken({ name: 'bench', role: 'billing' }, 'bench');

  // The router: N PPP subscribers user0001… connected, each with its own address.
  const sim = await startSimulator({ identity: ROUTER, users: [{ name: 'octet', password: 'pw' }], sessions: N });
  stops.push(() => sim.close());

  // The plugin's side: an account, a service on the router and an overdue issued invoice each.
  const subs = plugin.services.subscribers.subscribers;
  const accounts: Array<{ accountId: number; serviceId: number }> = [];
  for (let i = 1; i <= N; i++) {
    const login = `user${String(i).padStart(4, '0')}`;
    const a = await subs.createAccount({ name: `Customer ${i}`, currency: 'EUR' }, 'bench');
    const s = await subs.createService(a.id, { login, nasName: ROUTER, startDate: '2026-01-01' }, 'bench');
    accounts.push({ accountId: a.id, serviceId: s.id });
  }
  const today = DateTime.now().setZone(TZ);
  const issued = today.minus({ days: 70 }).startOf('day');
  const due = today.minus({ days: 40 }).toISODate()!;
  const now = new Date();
  for (const [i, a] of accounts.entries()) {
    await plugin.ctx.db.sequelize.query(
      `INSERT INTO invoices (type, series, sequence, number, idempotency_key, account_id, period_key, period_from, period_to, status, currency, issued_at, issue_date, due_date, net_minor, tax_minor, total_minor, document, content_sha256, created_by, created_at, updated_at)
       VALUES ('invoice', 'invoice', ?, ?, ?, ?, ?, ?, ?, 'issued', 'EUR', ?, ?, ?, 2500, 475, ?, '{}', ?, 'bench', ?, ?)`,
      {
        type: QueryTypes.INSERT,
        replacements: [i + 1, `INV-${String(i + 1).padStart(6, '0')}`, `bench-${i + 1}`, a.accountId, issued.toISODate(), issued.toJSDate(), issued.plus({ months: 1 }).toJSDate(), issued.toJSDate(), issued.toISODate(), due, TOTAL_MINOR.toString(), '0'.repeat(64), now, now],
      },
    );
  }

  const agentConfig = agentConfigSchema.parse({
    plugin: { url: plugin.url, token: agentToken },
    spool: { dir: join(dir, 'spool') },
    routers: [{ name: ROUTER, host: sim.host, port: sim.port, username: 'octet', password: 'pw', pollIntervalSeconds: 10, collect: { ppp: true, hotspot: false, queues: false } }],
    http: { host: '127.0.0.1', port: 0 },
    enforcement: { devices: [{ name: ROUTER, suspend: 'address-list' }] },
  });
  const agent = await startAgent(agentConfig, { logger: nullLogger });
  stops.push(() => agent.stop());

  // Enforcement knows the agent's routers from its status report; wait for it before suspending.
  for (let i = 0; ; i++) {
    const view = await plugin.services.network.view();
    if (view.sources.some((s) => s.name === ROUTER && s.agent === 'pop-bench')) break;
    if (i > 300) throw new Error('the agent never reported its router to the plugin');
    await sleep(100);
  }
  const s0 = performance.now();
  const evaluation = await plugin.services.dunning.dunning.evaluate({ dryRun: false, actor: 'bench' });
  if (evaluation.suspended.length !== N) throw new Error(`dunning suspended ${evaluation.suspended.length} of ${N} accounts`);
  const entryOf = new Map<number, string>(accounts.map((a) => [a.serviceId, `octet:${a.serviceId}`]));
  const present = () => new Set([...sim.model.addressList.values()].filter((e) => e.list === 'octet-suspended').map((e) => e.comment));
  for (let i = 0; present().size < N; i++) {
    if (i > 6000) throw new Error(`only ${present().size} of ${N} entries reached the router within 60 s`);
    await sleep(10);
  }
  const suspendedS = (performance.now() - s0) / 1000;

  // Watches the router: the moment each paid service's entry is gone.
  const goneAt = new Map<number, number>();
  const watching = new Set<number>();
  const watcher = setInterval(() => {
    if (watching.size === 0) return;
    const p = present();
    const t = performance.now();
    for (const id of watching) if (!p.has(entryOf.get(id)!)) (goneAt.set(id, t), watching.delete(id));
  }, 2);

  type Shape = 'back-to-back' | 'burst-10' | 'spaced-200ms';
  const samples: Array<{ shape: Shape; serviceId: number; responseAt: number; sentAt: number }> = [];
  const pay = async (a: { accountId: number; serviceId: number }, shape: Shape) => {
    watching.add(a.serviceId);
    const sentAt = performance.now();
    const res = await fetch(`${plugin.url}/api/v1/payments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ accountId: a.accountId, amountMinor: TOTAL_MINOR.toString(), currency: 'EUR', method: 'bank_transfer', reference: `bench ${a.accountId}`, receivedAt: new Date().toISOString() }),
    });
    const responseAt = performance.now();
    if (res.status !== 201) throw new Error(`POST /api/v1/payments answered ${res.status}: ${await res.text()}`);
    samples.push({ shape, serviceId: a.serviceId, responseAt, sentAt });
  };
  const third = Math.floor(N / 3);
  const queue = [...accounts];
  for (const a of queue.splice(0, third)) await pay(a, 'back-to-back');
  const bursts = queue.splice(0, Math.floor((N - 2 * third) / 10) * 10);
  for (let i = 0; i < bursts.length; i += 10) {
    await Promise.all(bursts.slice(i, i + 10).map((a) => pay(a, 'burst-10')));
    await sleep(1000);
  }
  for (const a of queue) {
    await pay(a, 'spaced-200ms');
    await sleep(200);
  }
  for (let i = 0; watching.size > 0; i++) {
    if (i > 3000) throw new Error(`${watching.size} entries still on the router 30 s after the last payment`);
    await sleep(10);
  }
  clearInterval(watcher);

  const ms = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50: +percentile(s, 50).toFixed(1), p95: +percentile(s, 95).toFixed(1), max: +s[s.length - 1]!.toFixed(1) };
  };
  const latency = samples.map((x) => Math.max(0, goneAt.get(x.serviceId)! - x.responseAt));
  const beforeResponse = samples.filter((x) => goneAt.get(x.serviceId)! <= x.responseAt).length;
  const byShape = Object.fromEntries((['back-to-back', 'burst-10', 'spaced-200ms'] as Shape[]).map((shape) => [shape, { n: samples.filter((x) => x.shape === shape).length, ...ms(samples.filter((x) => x.shape === shape).map((x) => Math.max(0, goneAt.get(x.serviceId)! - x.responseAt))) }]));
  const all = ms(latency);
  const fromRequest = ms(samples.map((x) => goneAt.get(x.serviceId)! - x.sentAt));
  const apiMs = ms(samples.map((x) => x.responseAt - x.sentAt));
  process.stdout.write(`restore on ${dialect}: ${N} payments through POST /api/v1/payments; suspending all took ${suspendedS.toFixed(1)} s\n`);
  process.stdout.write(`  from the 201 to the entry gone: p50 ${all.p50} ms, p95 ${all.p95} ms, max ${all.max} ms (${beforeResponse} gone before the 201 arrived)\n`);
  for (const [shape, f] of Object.entries(byShape)) process.stdout.write(`  ${shape.padEnd(13)} n=${f.n}: p50 ${f.p50} ms, p95 ${f.p95} ms, max ${f.max} ms\n`);
  process.stdout.write(`  from the request sent: p50 ${fromRequest.p50} ms, p95 ${fromRequest.p95} ms; the API's own answer: p50 ${apiMs.p50} ms, p95 ${apiMs.p95} ms\n`);
  process.stdout.write(`  target p95 ≤ 5000 ms: ${all.p95 <= 5000 ? 'met' : 'MISSED'}\n`);
  const out = { db: dialect, payments: N, p50Ms: all.p50, p95Ms: all.p95, maxMs: all.max, beforeResponse, byShape, fromRequest, api: apiMs, suspendAllSeconds: +suspendedS.toFixed(1), targetP95Ms: 5000, met: all.p95 <= 5000 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await database.drop();
}
