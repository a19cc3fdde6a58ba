/**
 * A billing run at full size on MariaDB: rating and issuing (PDFs apart).
 *
 *   npx tsx test/bench/billing.bench.ts [--accounts 100000] [--hours 720] [--chunk 500] [--reuse [--seed-only]] [--trace] [--worker]
 *
 * Every account has one service on one of three tariffs (per unit with an allowance,
 * graduated tiers, packages: every charge model that reads totals, from the daily sums; a fourth of the services
 * on a tariff with a night time band, summed between its edges), and a month of hourly usage
 * (`--hours` rows each, 720 = November 2026), written with INSERT ... SELECT from MariaDB's
 * SEQUENCE engine. The run then bills 2026-12-01: the December fee in advance, November's usage
 * in arrears, one invoice per account with its lines, billed usage and closed usage windows, in
 * chunks under the run's lease. Prints the figures and one JSON line. Target: under 60 s for
 * 100,000 accounts.
 *
 * `--reuse` keeps the seeded database (octet_bench_billing_<accounts>_<hours>) between runs:
 * the first run seeds it, later runs empty what a run writes (every table that was empty after
 * seeding, and the numbering counters) and bill again, without paying the seeding each time.
 * `--trace` prints the time per statement kind; `--worker` rates the chunks after the first on
 * the run's rating worker thread (off by default), to compare.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { openDatabase } from '../../plugin/db/database.js';
import { migrate } from '../../plugin/db/migrator.js';
import { BillingService, type BillingDeps } from '../../plugin/invoicing/billing.service.js';
import { buildContext, buildModuleServices } from '../../plugin/main.js';
import { raiseBufferPool } from '../support/mariadb-tuning.js';
import { createTestDatabase, MYSQL_SERVER_URL, type TestDatabase } from '../support/databases.js';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '100000' }, hours: { type: 'string', default: '720' }, chunk: { type: 'string', default: '500' }, trace: { type: 'boolean', default: false }, reuse: { type: 'boolean', default: false }, worker: { type: 'boolean', default: false }, 'seed-only': { type: 'boolean', default: false } } });
const N = Number(values.accounts);
const HOURS = Number(values.hours);

/** The bench's own schema, kept between runs (created binary, like the test databases). */
async function benchDatabase(): Promise<TestDatabase> {
  const name = `octet_bench_billing_${N}_${HOURS}`;
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER_URL });
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(MYSQL_SERVER_URL);
  url.pathname = `/${name}`;
  return { dialect: 'mysql', url: url.toString(), drop: async () => undefined };
}

const database = values.reuse ? await benchDatabase() : await createTestDatabase('mysql');
const db = await openDatabase(database.url, nullLogger);
try {
  await migrate(db, nullLogger);
  const q0 = (sql: string) => db.sequelize.query(sql, { type: QueryTypes.RAW });
  await q0('CREATE TABLE IF NOT EXISTS bench_seed (id INT PRIMARY KEY, empty_tables TEXT NOT NULL, counters TEXT NOT NULL, seconds DOUBLE NOT NULL)');
  const [seed] = await db.sequelize.query<{ empty_tables: string; counters: string; seconds: number }>('SELECT empty_tables, counters, seconds FROM bench_seed WHERE id = 1', { type: QueryTypes.SELECT });
  if (seed) {
    // Back to the state after seeding: what the last run wrote goes (TRUNCATE: the immutability triggers guard rows, not the table).
    await q0('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of JSON.parse(seed.empty_tables) as string[]) await q0(`TRUNCATE TABLE \`${table}\``);
    await q0('SET FOREIGN_KEY_CHECKS = 1');
    for (const c of JSON.parse(seed.counters) as Array<{ series: string; next_number: string }>) {
      await db.sequelize.query('UPDATE document_counters SET next_number = ? WHERE series = ?', { replacements: [c.next_number, c.series] });
    }
  }
  const clock = new ManualClock('2026-10-01T00:00:00Z');
  const config = pluginConfigSchema.parse({ db: { url: database.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR', tax: { name: 'VAT', percent: '19' }, runChunk: Number(values.chunk), schedule: { enabled: false } } });
  const ctx = buildContext(config, db, nullLogger, clock);
  const services = buildModuleServices(ctx);
  const q = (sql: string) => db.sequelize.query(sql, { type: QueryTypes.RAW });
  const { catalogue } = services.tariffs;
  let seeded = seed?.seconds ?? 0;
  if (!seed) {
    const usage = (charge: unknown, extra: Record<string, unknown> = {}) => ({ direction: 'both', unit: 'GB', includedUnits: '100', charge, ...extra });
    await catalogue.create({ code: 'PER-UNIT', name: 'Per unit', currency: 'EUR', recurringFee: '30.00', usage: usage({ model: 'per_unit', unitPrice: '0.50', block: '1' }) }, 'bench');
    await catalogue.create({ code: 'GRADUATED', name: 'Graduated', currency: 'EUR', recurringFee: '25.00', usage: usage({ model: 'graduated', tiers: [{ from: '0', to: '50', unitPrice: '0.40' }, { from: '50', to: null, unitPrice: '0.20', flatFee: '1.00' }] }) }, 'bench');
    await catalogue.create({ code: 'PACKAGE', name: 'Package', currency: 'EUR', recurringFee: '20.00', usage: usage({ model: 'package', packageSize: '10', packagePrice: '2.00' }) }, 'bench');
    await catalogue.create({ code: 'NIGHT', name: 'Free nights', currency: 'EUR', recurringFee: '35.00', usage: usage({ model: 'per_unit', unitPrice: '0.30' }, { timeBands: [{ name: 'night', from: '00:00', to: '07:00', percent: '0' }] }) }, 'bench');

    const g0 = performance.now();
    const tariff = `ELT(1 + seq % 4, 'PER-UNIT', 'GRADUATED', 'PACKAGE', 'NIGHT')`;
    await q(`INSERT INTO accounts (name, email, currency, status, tax_exempt, created_at, updated_at) SELECT CONCAT('Customer ', seq), CONCAT('c', seq, '@example.net'), 'EUR', 'active', 0, '2026-01-01', '2026-01-01' FROM seq_1_to_${N}`);
    await q(`INSERT INTO services (account_id, login, live_login, tariff, status, start_date, created_at, updated_at)
             SELECT seq, CONCAT('sub', seq), CONCAT('sub', seq), ${tariff}, 'active', '2026-09-01', '2026-01-01', '2026-01-01' FROM seq_1_to_${N}`);
    await q(`INSERT INTO service_tariffs (service_id, tariff_code, from_time, created_by, created_at) SELECT id, tariff, '2026-08-31 22:00:00.000', 'bench', NOW(3) FROM services`);
    // November in Berlin: 2026-10-31 23:00 UTC onwards; 50 to 250 GB a month per service.
    await q(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at)
             SELECT CONCAT('sub', s.id), TIMESTAMPADD(HOUR, h.seq, '2026-10-31 23:00:00.000'), s.id, 'radius',
                    (50000000000 + (s.id % 200) * 1000000000) DIV ${HOURS} * 4 DIV 5, (50000000000 + (s.id % 200) * 1000000000) DIV ${HOURS} DIV 5, NOW(3)
               FROM services s CROSS JOIN seq_0_to_${HOURS - 1} h`);
    seeded = (performance.now() - g0) / 1000;
    process.stdout.write(`seeded ${N} accounts, ${N * HOURS} hourly rows in ${seeded.toFixed(1)} s\n`);
    if (values.reuse) {
      const tables = await db.sequelize.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> 'bench_seed'", { type: QueryTypes.SELECT });
      const empty: string[] = [];
      for (const { t } of tables) {
        const [row] = await db.sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM \`${t}\` LIMIT 1) x`, { type: QueryTypes.SELECT });
        if (Number(row!.n) === 0) empty.push(t);
      }
      const counters = await db.sequelize.query('SELECT series, CAST(next_number AS CHAR) AS next_number FROM document_counters', { type: QueryTypes.SELECT });
      await db.sequelize.query('INSERT INTO bench_seed (id, empty_tables, counters, seconds) VALUES (1, ?, ?, ?)', { replacements: [JSON.stringify(empty), JSON.stringify(counters), seeded] });
    }
  } else process.stdout.write(`reusing ${database.url.replace(/^.*\//, '')}: ${N} accounts seeded before (in ${seeded.toFixed(1)} s)\n`);
  if (values['seed-only']) process.exit(0);
  // A pool smaller than the month's index reads it from disk every run (test/support/mariadb-tuning.ts).
  const poolBytes = await raiseBufferPool(db, 4 * 1024 ** 3, (line) => process.stdout.write(line + '\n'));

  clock.set('2026-12-01T06:00:00Z');
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const statements = new Map<string, { n: number; ms: number }>();
  if (values.trace) {
    // Time per statement kind (the first words of the SQL), to see where a run waits.
    const opts = (db.sequelize as unknown as { options: { benchmark?: boolean; logging?: unknown } }).options;
    opts.benchmark = true;
    opts.logging = (sql: string, ms: number) => {
      const key = sql.replace(/^Execut(ing|ed) \([^)]*\): /, '').replace(/\s+/g, ' ').slice(0, 60);
      const cur = statements.get(key) ?? { n: 0, ms: 0 };
      statements.set(key, { n: cur.n + 1, ms: cur.ms + ms });
    };
  }
  const load0 = loadavg()[0]!;
  let loadPeak = load0;
  const loadSampler = setInterval(() => (loadPeak = Math.max(loadPeak, loadavg()[0]!)), 1000);
  const t0 = performance.now();
  // --worker: chunks after the first rated on the run's rating worker (opt-in), to compare.
  const billing = values.worker ? new BillingService({ ...(services.invoicing.billing as unknown as { deps: BillingDeps }).deps, ratingWorker: true }) : services.invoicing.billing;
  const run = await billing.run('2026-12', { dryRun: false, by: 'bench' });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  clearInterval(loadSampler);
  const load1 = loadavg()[0]!;
  for (const [k, v] of [...statements.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) process.stdout.write(`  ${(v.ms / 1000).toFixed(2)} s ${v.n}x ${k}\n`);
  const [c] = await db.sequelize.query<{ n: string; line_count: string }>("SELECT CAST(COUNT(*) AS CHAR) AS n, (SELECT CAST(COUNT(*) AS CHAR) FROM invoice_lines) AS line_count FROM invoices WHERE type = 'invoice'", { type: QueryTypes.SELECT });
  process.stdout.write(`billing run: ${run.status}, ${run.invoicesIssued} invoices (${c!.line_count} lines), ${run.accountsFailed} failed, in ${seconds.toFixed(1)} s: ${(N / seconds).toFixed(0)} accounts/s; peak RSS ${(peak / 1048576).toFixed(0)} MB; load average (1 min) ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end, ${loadPeak.toFixed(2)} at most\n`);
  process.stdout.write(`target: under 60 s for 100,000 accounts: ${N === 100000 ? (seconds < 60 ? 'met' : 'NOT met') : 'not measured at that size'}\n`);
  process.stdout.write(`${JSON.stringify({ accounts: N, hours: HOURS, ratingWorker: values.worker, seconds: Number(seconds.toFixed(2)), accountsPerSecond: Math.round(N / seconds), invoices: run.invoicesIssued, failed: run.accountsFailed, peakRssMb: Math.round(peak / 1048576), bufferPoolMb: Math.round(poolBytes / 1048576), seedSeconds: Number(seeded.toFixed(1)), load: [Number(load0.toFixed(2)), Number(load1.toFixed(2)), Number(loadPeak.toFixed(2))] })}\n`);
} finally {
  await db.close();
  await database.drop();
}
