/**
 * The unclaimed-logins list (first 200) with 100,000 router entries of which all but 100 are
 * claimed by live services: through the ports (ingest's inventory walk, usage's unassigned usage,
 * subscribers' own services table, as `octet unclaimed list` and its page run it) against the
 * baseline of one SQL anti-join across the three modules' tables (how it was done before the
 * ports). Alternating rounds; median ratio and per-round range.
 *
 *   npx tsx test/bench/unclaimed.bench.ts [--dialect sqlite|mysql] [--entries 100000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { QueryTypes } from 'sequelize';
import { createTestPlugin } from '../support/plugin.js';

const { values } = parseArgs({ options: { dialect: { type: 'string', default: 'sqlite' }, entries: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '5' } } });
const dialect = values.dialect === 'mysql' ? 'mysql' : 'sqlite';
const N = Number(values.entries);
const ROUNDS = Number(values.rounds);
const LIMIT = 200;

const plugin = await createTestPlugin(dialect, { modules: [] });
const { ctx } = plugin;
const now = new Date();
const account = await ctx.models.Account.create({ name: 'Bench', currency: 'EUR', status: 'active', createdAt: now, updatedAt: now });
const accountId = Number(account.get('id'));
const login = (i: number) => `user${String(i).padStart(6, '0')}`;
for (let i = 0; i < N; i += 5000) {
  const ids = Array.from({ length: Math.min(5000, N - i) }, (_, k) => i + k);
  await ctx.models.RouterInventoryEntry.bulkCreate(ids.map((j) => ({ agentId: 1, routerName: 'pop-north', kind: 'ppp', name: login(j), profile: null, disabled: false, comment: null, takenAt: now, receivedAt: now })));
  await ctx.models.Service.bulkCreate(
    ids.filter((j) => j % 1000 !== 999).map((j) => ({ accountId, login: login(j), liveLogin: login(j), status: 'active', startDate: '2026-01-01', endDate: null, createdAt: now, updatedAt: now })),
  );
}

/** The baseline: the two anti-join queries the subscribers module ran on the others' tables. */
async function baseline(): Promise<number> {
  const text = (e: string) => (dialect === 'sqlite' ? `CAST(${e} AS TEXT)` : `CAST(${e} AS CHAR)`);
  const inventory = await ctx.db.sequelize.query(
    `SELECT r.name AS login, r.router_name AS routerName, r.kind, r.profile, r.disabled, r.comment FROM router_inventory r
       JOIN (SELECT DISTINCT r2.name AS n FROM router_inventory r2 WHERE NOT EXISTS (SELECT 1 FROM services s2 WHERE s2.live_login = r2.name) ORDER BY r2.name LIMIT :limit) f ON f.n = r.name
      WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.live_login = r.name) ORDER BY r.name, r.router_name, r.kind`,
    { type: QueryTypes.SELECT, replacements: { limit: LIMIT } },
  );
  const usage = await ctx.db.sequelize.query(
    `SELECT u.login, ${text('SUM(u.download)')} AS download, ${text('SUM(u.upload)')} AS upload, MIN(u.hour_start) AS firstHour, MAX(u.hour_start) AS lastHour
       FROM usage_hourly u WHERE u.service_id IS NULL AND NOT EXISTS (SELECT 1 FROM services s WHERE s.live_login = u.login)
      GROUP BY u.login ORDER BY u.login LIMIT :limit`,
    { type: QueryTypes.SELECT, replacements: { limit: LIMIT } },
  );
  return inventory.length + usage.length;
}

async function ports(): Promise<number> {
  return (await plugin.services.subscribers.unclaimed.list(LIMIT)).length;
}

async function time(fn: () => Promise<number>): Promise<{ ms: number; n: number }> {
  const t0 = process.hrtime.bigint();
  const n = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, n };
}

await baseline();
await ports();
const ratios: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  const b = await time(baseline);
  const p = await time(ports);
  ratios.push(p.ms / b.ms);
  console.log(`round ${r}: one SQL anti-join ${b.ms.toFixed(0)} ms (${b.n} rows), through the ports ${p.ms.toFixed(0)} ms (${p.n} logins)`);
}
const sorted = [...ratios].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(`${dialect}, ${N} router entries, first ${LIMIT}: ports / anti-join median ${median.toFixed(2)}x (rounds ${sorted[0]!.toFixed(2)}-${sorted[sorted.length - 1]!.toFixed(2)})`);
console.log(JSON.stringify({ dialect, entries: N, limit: LIMIT, medianRatio: Number(median.toFixed(3)), minRatio: Number(sorted[0]!.toFixed(3)), maxRatio: Number(sorted[sorted.length - 1]!.toFixed(3)) }));
await plugin.close();
