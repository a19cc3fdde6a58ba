/**
 * Accounts CSV import into MariaDB: 10,000 rows (an account and a service each), through the same
 * service as `octet import accounts` and the import page, one transaction for the whole file.
 * Then the account list and search on a table grown to 100,000 accounts (keyset pagination).
 *
 *   npx tsx test/bench/import.bench.ts [--rows 10000] [--accounts 100000]
 *
 * Needs MariaDB/MySQL at OCTET_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306); creates and
 * drops its own database. Prints human-readable lines and one JSON line.
 */
import { parseArgs } from 'node:util';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { openDatabase } from '../../plugin/db/database.js';
import { migrate } from '../../plugin/db/migrator.js';
import { buildContext } from '../../plugin/main.js';
import { buildSubscribers } from '../../plugin/subscribers/index.js';
import { createTestDatabase } from '../support/databases.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000' }, accounts: { type: 'string', default: '100000' } } });
const ROWS = Number(values.rows);
const ACCOUNTS = Number(values.accounts);

const FIRST = ['Anna', 'Ben', 'Chiara', 'Dmitri', 'Eva', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Käthe', 'Luca'];
const LAST = ['Schmidt', 'Rossi', 'Novak', 'García', 'Müller', 'Okafor', 'Lindqvist', 'Tanaka', 'Dubois', 'Kowalski'];

function csv(rows: number, variant: string): Buffer {
  const lines = ['external_id,name,email,phone,city,postal_code,country,login,tariff,nas_name,start_date'];
  for (let i = 0; i < rows; i++) {
    const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${i}`;
    const city = variant === 'moved' && i % 10 === 0 ? 'Neustadt' : 'Altstadt';
    lines.push(`C-${i},"${name}",sub${i}@example.net,+49 30 ${String(i).padStart(7, '0')},${city},${10000 + (i % 9000)},DE,sub${i}@ppp,home-${(i % 4) * 50 + 50},bras-${i % 6},2026-01-01`);
  }
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t0 = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

/** Median of a few runs: one slow run (a cold cache) should not be the figure. */
async function median(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await time(fn)).ms);
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const database = await createTestDatabase('mysql');
const db = await openDatabase(database.url, nullLogger);
try {
  await migrate(db, nullLogger);
  const config = pluginConfigSchema.parse({ db: { url: database.url }, billing: { currency: 'EUR', timezone: 'Europe/Berlin' } });
  const ctx = buildContext(config, db, nullLogger, new ManualClock('2026-03-01T12:00:00Z'));
  const { importer, subscribers } = buildSubscribers(ctx);
  const file = csv(ROWS, 'first');
  const run = (bytes: Buffer, dryRun: boolean) => importer.run(bytes, { dryRun, actor: 'cli', source: 'bench.csv' });

  const dry = await time(() => run(file, true));
  const first = await time(() => run(file, false));
  if (!first.result.applied) throw new Error(`import failed: ${JSON.stringify(first.result.errors.slice(0, 3))}`);
  const again = await time(() => run(file, false));
  const moved = await time(() => run(csv(ROWS, 'moved'), false));
  const bytes = file.length;

  console.log(`import of ${ROWS} rows (${(bytes / 1e6).toFixed(2)} MB) into MariaDB, one transaction:`);
  console.log(`  dry run (parse, validate, plan):  ${(dry.ms / 1000).toFixed(2)} s`);
  console.log(`  first import (create ${first.result.counts.accountsCreated} accounts + ${first.result.counts.servicesCreated} services, audited): ${(first.ms / 1000).toFixed(2)} s = ${Math.round(ROWS / (first.ms / 1000))} rows/s`);
  console.log(`  same file again (nothing changes): ${(again.ms / 1000).toFixed(2)} s (${again.result.counts.accountsUnchanged} unchanged)`);
  console.log(`  10% of rows changed:              ${(moved.ms / 1000).toFixed(2)} s (${moved.result.counts.accountsUpdated} updated)`);

  // Grow to ACCOUNTS accounts with multi-row inserts (the list and search figures need volume, not the import).
  const have = await subscribers.listAccounts({}, 1);
  void have;
  const now = new Date('2026-03-01T12:00:00Z');
  for (let i = ROWS; i < ACCOUNTS; i += 2000) {
    const n = Math.min(2000, ACCOUNTS - i);
    const rows = Array.from({ length: n }, (_, k) => {
      const j = i + k;
      return [`F-${j}`, `${FIRST[j % FIRST.length]} ${LAST[Math.floor(j / FIRST.length) % LAST.length]} ${j}`, `filler${j}@example.org`, 'EUR', 'active', now, now];
    });
    await db.sequelize.query(`INSERT INTO accounts (external_id, name, email, currency, status, created_at, updated_at) VALUES ${rows.map(() => '(?)').join(',')}`, {
      replacements: rows,
      type: QueryTypes.INSERT,
    });
  }
  const total = await ctx.models.Account.count();
  const firstPage = await subscribers.listAccounts({}, 50);
  let cursor = firstPage.nextCursor!;
  for (let i = 0; i < 1000; i++) cursor = (await subscribers.listAccounts({}, 50, cursor)).nextCursor!; // page 1,001 (row ~50,000)
  const deep = cursor;
  const figures = {
    firstPageMs: await median(() => subscribers.listAccounts({}, 50)),
    page1001Ms: await median(() => subscribers.listAccounts({}, 50, deep)),
    searchNameMs: await median(() => subscribers.listAccounts({ q: 'lindqvist 4242' }, 50)),
    searchLoginMs: await median(() => subscribers.listAccounts({ login: 'sub4242@' }, 50)),
    searchEmailMs: await median(() => subscribers.listAccounts({ email: 'filler77777@' }, 50)),
    searchExternalIdMs: await median(() => subscribers.listAccounts({ externalId: 'F-55555' }, 50)),
    searchAnyMs: await median(() => subscribers.listAccounts({ q: 'sub4242' }, 50)),
  };
  console.log(`account list with ${total} accounts (median of 5, page of 50):`);
  console.log(`  first page ${figures.firstPageMs.toFixed(1)} ms; page 1,001 by cursor ${figures.page1001Ms.toFixed(1)} ms`);
  console.log(
    `  search: name contains ${figures.searchNameMs.toFixed(1)} ms, login prefix ${figures.searchLoginMs.toFixed(1)} ms, e-mail prefix ${figures.searchEmailMs.toFixed(1)} ms, ` +
      `external id ${figures.searchExternalIdMs.toFixed(1)} ms, any field (q) ${figures.searchAnyMs.toFixed(1)} ms`,
  );
  console.log(
    JSON.stringify({
      bench: 'import',
      database: 'mariadb',
      rows: ROWS,
      fileBytes: bytes,
      dryRunMs: Math.round(dry.ms),
      importMs: Math.round(first.ms),
      rowsPerSecond: Math.round(ROWS / (first.ms / 1000)),
      reimportUnchangedMs: Math.round(again.ms),
      reimport10PercentChangedMs: Math.round(moved.ms),
      accounts: total,
      ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    }),
  );
} finally {
  await db.close();
  await database.drop();
}
