/**
 * Hourly rollup time for a day of services with 5-minute interims, on MariaDB.
 *
 *   npx tsx test/bench/rollup.bench.ts [--services 5000] [--chunk 500]
 *
 * The full target (100,000 services x 288 interims = 28.8M observations) cannot be generated and
 * rolled up within the 2-minute bound of a bench on this machine, so the bench measures a
 * fraction (default 5,000 services = 1.44M observations) and extrapolates linearly to 100,000
 * services (the rollup works in independent chunks of sessions, so its cost grows with the number
 * of observations; the extrapolation ignores a larger database's extra cache misses, so read it
 * as a lower bound). Observations are generated inside MariaDB (SEQUENCE engine, INSERT ...
 * SELECT) straight into usage_observations, as the ingest stores them; interims are staggered per
 * session so that many intervals straddle hour boundaries. Each service has an account and a
 * service row, so service resolution is part of the measured work.
 *
 * Measured: (1) the rollup of the whole day from nothing; (2) the steady state: one more
 * 5-minute interim for every session, rolled up. Prints lines and one JSON line.
 */
import { parseArgs } from 'node:util';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { buildContext } from '../../plugin/main.js';
import { openDatabase } from '../../plugin/db/database.js';
import { migrate } from '../../plugin/db/migrator.js';
import { buildUsage } from '../../plugin/usage/index.js';
import { createTestDatabase } from '../support/databases.js';

const { values } = parseArgs({ options: { services: { type: 'string', default: '5000' }, chunk: { type: 'string', default: '500' } } });
const SERVICES = Number(values.services);
const CHUNK = Number(values.chunk);
const INTERIMS = 288;
const TARGET_SERVICES = 100_000;

const database = await createTestDatabase('mysql');
const db = await openDatabase(database.url, nullLogger);
try {
  await migrate(db, nullLogger);
  const config = pluginConfigSchema.parse({ db: { url: database.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR' } });
  const ctx = buildContext(config, db, nullLogger, new ManualClock('2026-03-03T00:00:00Z'));
  const usage = buildUsage(ctx);
  const q = (sql: string) => db.sequelize.query(sql, { type: QueryTypes.RAW });
  const seq = (n: number) => `seq_1_to_${n}`;

  const g0 = performance.now();
  await q(`INSERT INTO agents (name, token_hash, prefix, created_by, created_at) VALUES ('bench', REPEAT('0', 64), 'oct_agent_x', 'bench', NOW())`);
  await q(`INSERT INTO accounts (name, currency, status, tax_exempt, created_at, updated_at) SELECT CONCAT('Customer ', seq), 'EUR', 'active', 0, NOW(), NOW() FROM ${seq(SERVICES)}`);
  await q(`INSERT INTO services (account_id, login, live_login, status, start_date, created_at, updated_at)
           SELECT seq, CONCAT('sub', seq), CONCAT('sub', seq), 'active', '2026-01-01', NOW(), NOW() FROM ${seq(SERVICES)}`);
  const generate = (fromK: number, toK: number) =>
    q(`INSERT INTO usage_observations (agent_id, record_id, session_key, source, source_name, session_id, login, session_start, observed_at, download, upload, ended, received_at, rolled_up)
       SELECT 1, CONCAT('r', s.seq, '-', k.seq), SHA1(CONCAT('radius:', s.seq)), 'radius', CONCAT('nas-', s.seq % 8), CONCAT('S', s.seq), CONCAT('sub', s.seq),
              '2026-03-01 00:00:00.000', TIMESTAMPADD(SECOND, k.seq * 300 + (s.seq * 7) % 300, '2026-03-01 00:00:00.000'),
              (k.seq + 1) * (1000000 + s.seq * 13), (k.seq + 1) * (100000 + s.seq), 0, NOW(3), 0
         FROM ${seq(SERVICES)} s CROSS JOIN seq_${fromK}_to_${toK} k`);
  for (let k = 0; k < INTERIMS; k += 48) await generate(k, Math.min(INTERIMS, k + 48) - 1);
  const generated = (performance.now() - g0) / 1000;
  const observations = SERVICES * INTERIMS;
  process.stdout.write(`generated ${SERVICES} services and ${observations} observations (a day of 5-minute interims) in ${generated.toFixed(1)} s\n`);

  const r0 = performance.now();
  const stats = await usage.rollup.rollupPending({ chunkSessions: CHUNK });
  const dayS = (performance.now() - r0) / 1000;
  const [hourly] = await db.sequelize.query<{ n: number; s: number }>('SELECT COUNT(*) AS n, COUNT(service_id) AS s FROM usage_hourly', { type: QueryTypes.SELECT });
  process.stdout.write(`rollup of the day: ${dayS.toFixed(1)} s for ${stats.observations} observations (${Math.round(stats.observations / dayS)} obs/s), ${hourly?.n} hourly rows (${hourly?.s} assigned)\n`);

  await generate(INTERIMS, INTERIMS);
  const i0 = performance.now();
  const inc = await usage.rollup.rollupPending({ chunkSessions: CHUNK });
  const incS = (performance.now() - i0) / 1000;
  process.stdout.write(`steady state: one more interim for ${SERVICES} sessions rolled up in ${incS.toFixed(2)} s (${inc.observations} observations read: only the new ones)\n`);

  const scale = TARGET_SERVICES / SERVICES;
  const extrapolatedDay = dayS * scale;
  const extrapolatedInc = incS * scale;
  process.stdout.write(`extrapolated to ${TARGET_SERVICES} services (x${scale}): day rollup ~${(extrapolatedDay / 60).toFixed(1)} min, one 5-minute round ~${extrapolatedInc.toFixed(0)} s (measured on ${SERVICES}, linear)\n`);
  process.stdout.write(
    JSON.stringify({
      bench: 'rollup',
      database: 'mariadb',
      services: SERVICES,
      interimsPerDay: INTERIMS,
      observations,
      generateSeconds: Number(generated.toFixed(2)),
      dayRollupSeconds: Number(dayS.toFixed(2)),
      observationsPerSecond: Math.round(stats.observations / dayS),
      hourlyRows: Number(hourly?.n),
      incrementalRoundSeconds: Number(incS.toFixed(2)),
      extrapolatedTo: TARGET_SERVICES,
      extrapolatedDayRollupSeconds: Math.round(extrapolatedDay),
      extrapolatedIncrementalRoundSeconds: Math.round(extrapolatedInc),
    }) + '\n',
  );
} finally {
  await db.close();
  await database.drop();
}
