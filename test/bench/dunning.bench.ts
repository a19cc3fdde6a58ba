/**
 * A dunning evaluation at full size on MariaDB, through the real ports (payments' outstanding,
 * enforcement's setDesired):
 *
 *   npx tsx test/bench/dunning.bench.ts [--accounts 100000] [--overdue-percent 5]
 *
 * Every account has one service and one issued invoice; `--overdue-percent` of them are 40 days
 * past due (to be suspended), the rest due in 10 days. Times a dry run, then the real run (which
 * suspends the overdue ones, each in its own locked transaction). Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { openDatabase } from '../../plugin/db/database.js';
import { migrate } from '../../plugin/db/migrator.js';
import { buildContext, buildModuleServices } from '../../plugin/main.js';
import { createTestDatabase } from '../support/databases.js';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '100000' }, 'overdue-percent': { type: 'string', default: '5' } } });
const N = Number(values.accounts);
const EVERY = Math.max(1, Math.round(100 / Number(values['overdue-percent'])));

const database = await createTestDatabase('mysql');
const db = await openDatabase(database.url, nullLogger);
try {
  await migrate(db, nullLogger);
  // Tuesday 2026-12-01, 10:00 in Berlin: inside the default suspension window.
  const clock = new ManualClock('2026-12-01T09:00:00Z');
  const config = pluginConfigSchema.parse({ db: { url: database.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR', schedule: { enabled: false } }, dunning: { reminders: [], schedule: { enabled: false } } });
  const ctx = buildContext(config, db, nullLogger, clock);
  const services = buildModuleServices(ctx);
  const q = (sql: string) => db.sequelize.query(sql, { type: QueryTypes.RAW });
  const g0 = performance.now();
  await q(`INSERT INTO accounts (name, email, currency, status, tax_exempt, created_at, updated_at) SELECT CONCAT('Customer ', seq), CONCAT('c', seq, '@example.net'), 'EUR', 'active', 0, '2026-01-01', '2026-01-01' FROM seq_1_to_${N}`);
  await q(`INSERT INTO services (account_id, login, live_login, tariff, status, start_date, created_at, updated_at) SELECT seq, CONCAT('sub', seq), CONCAT('sub', seq), NULL, 'active', '2026-09-01', '2026-01-01', '2026-01-01' FROM seq_1_to_${N}`);
  await q(`INSERT INTO invoices (type, series, sequence, number, idempotency_key, account_id, period_key, period_from, period_to, status, currency, issued_at, issue_date, due_date, net_minor, tax_minor, total_minor, document, content_sha256, created_by, created_at, updated_at)
           SELECT 'invoice', 'invoice', seq, CONCAT('INV-', LPAD(seq, 6, '0')), CONCAT('bench-', seq), seq, '2026-10-01', '2026-09-30 22:00:00.000', '2026-10-31 23:00:00.000', 'issued', 'EUR',
                  '2026-10-01 06:00:00.000', '2026-10-01', IF(seq % ${EVERY} = 0, '2026-10-22', '2026-12-11'), 2500, 475, 2975, '{}', REPEAT('0', 64), 'bench', NOW(3), NOW(3)
             FROM seq_1_to_${N}`);
  const seeded = (performance.now() - g0) / 1000;
  const dunning = services.dunning.dunning;
  const d0 = performance.now();
  const dry = await dunning.evaluate({ dryRun: true, actor: 'bench' });
  const dryS = (performance.now() - d0) / 1000;
  const r0 = performance.now();
  const run = await dunning.evaluate({ dryRun: false, actor: 'bench' });
  const runS = (performance.now() - r0) / 1000;
  const out = { accounts: N, seededSeconds: +seeded.toFixed(1), wouldSuspend: dry.decisions.filter((d) => d.decision.suspend).length, dryRunSeconds: +dryS.toFixed(1), suspended: run.suspended.length, runSeconds: +runS.toFixed(1) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await db.close();
  await database.drop();
}
