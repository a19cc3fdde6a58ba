import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { sqlTime, valuesPlaceholders } from '../../../plugin/db/sql.js';
import { OCTET_BIN, runOctet } from '../../support/cli.js';
import { forEachDatabase } from '../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../support/plugin.js';

/**
 * `octet bill` as operators run it: real processes on one database. Two runs of the same date at
 * once, and a run killed with SIGKILL mid-way then run again: every account gets exactly one
 * invoice, and the numbers have no gap and no repeat.
 */
const ACCOUNTS = 1200;

forEachDatabase('octet bill (processes)', (dialect) => {
  let plugin: TestPlugin;
  let dir: string;
  let configFile: string;
  const q = <T extends object>(sql: string, r: unknown[] = []) => plugin.ctx.db.sequelize.query<T>(sql, { replacements: r, type: QueryTypes.SELECT });

  async function invariants(periodKey: string) {
    const [c] = await q<{ n: string; lo: string; hi: string; accounts: string }>(
      "SELECT CAST(COUNT(*) AS CHAR) AS n, CAST(MIN(sequence) AS CHAR) AS lo, CAST(MAX(sequence) AS CHAR) AS hi, CAST(COUNT(DISTINCT account_id) AS CHAR) AS accounts FROM invoices WHERE type = 'invoice' AND period_key = ?",
      [periodKey],
    );
    const [all] = await q<{ n: string; hi: string }>("SELECT CAST(COUNT(*) AS CHAR) AS n, CAST(MAX(sequence) AS CHAR) AS hi FROM invoices WHERE type = 'invoice'");
    const [counter] = await q<{ n: string }>("SELECT CAST(next_number AS CHAR) AS n FROM document_counters WHERE series = 'invoice'");
    return { count: Number(c!.n), accounts: Number(c!.accounts), span: Number(c!.hi) - Number(c!.lo) + 1, total: Number(all!.n), highest: Number(all!.hi), next: Number(counter!.n) };
  }

  before(async function () {
    this.timeout(120_000);
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    dir = mkdtempSync(join(tmpdir(), 'octet-bill-'));
    configFile = join(dir, 'plugin.yaml');
    writeFileSync(configFile, JSON.stringify({ db: { url: plugin.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR', runChunk: 50, runLeaseSeconds: 3, schedule: { enabled: false } }, log: { level: 'warn', format: 'json' } }));
    await plugin.services.tariffs.catalogue.create({ code: 'FLAT-30', name: 'Flat 30', currency: 'EUR', recurringFee: '30.00' }, 'user:1');
    const now = sqlTime(plugin.ctx.db.dialect, Date.parse('2026-08-01T00:00:00Z'));
    const accounts: unknown[] = [];
    for (let i = 1; i <= ACCOUNTS; i++) accounts.push(i, `Customer ${i}`, 'EUR', 'active', now, now);
    const services: unknown[] = [];
    const history: unknown[] = [];
    for (let i = 1; i <= ACCOUNTS; i++) {
      services.push(i, i, `user${i}`, `user${i}`, 'FLAT-30', 'active', '2026-09-01', now, now);
      history.push(i, 'FLAT-30', sqlTime(plugin.ctx.db.dialect, Date.parse('2026-08-31T22:00:00Z')), 'test', now);
    }
    const bulk = async (sql: string, cols: number, flat: unknown[]) => {
      for (let i = 0; i < flat.length; i += cols * 400) {
        const part = flat.slice(i, i + cols * 400);
        await plugin.ctx.db.sequelize.query(`${sql} VALUES ${valuesPlaceholders(part.length / cols, cols)}`, { replacements: part });
      }
    };
    await bulk('INSERT INTO accounts (id, name, currency, status, created_at, updated_at)', 6, accounts);
    await bulk('INSERT INTO services (id, account_id, login, live_login, tariff, status, start_date, created_at, updated_at)', 9, services);
    await bulk('INSERT INTO service_tariffs (service_id, tariff_code, from_time, created_by, created_at)', 5, history);
  });
  after(async () => {
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two runs of the same date at once, in two processes: one invoice per account, numbers 1..N without a gap', async function () {
    this.timeout(240_000);
    const [a, b] = await Promise.all([runOctet(['bill', '--config', configFile, '--period', '2026-11', '--json']), runOctet(['bill', '--config', configFile, '--period', '2026-11', '--json'])]);
    for (const r of [a, b]) expect(r.code, r.stderr).to.equal(0);
    const ra = JSON.parse(a.stdout) as { invoicesIssued: number; accountsAlreadyBilled: number };
    const rb = JSON.parse(b.stdout) as { invoicesIssued: number; accountsAlreadyBilled: number };
    expect(ra.invoicesIssued + rb.invoicesIssued).to.equal(ACCOUNTS);
    expect(ra.accountsAlreadyBilled + rb.accountsAlreadyBilled).to.equal(ACCOUNTS);
    expect(await invariants('2026-11-01')).to.deep.equal({ count: ACCOUNTS, accounts: ACCOUNTS, span: ACCOUNTS, total: ACCOUNTS, highest: ACCOUNTS, next: ACCOUNTS + 1 });
  });

  it('a run killed with SIGKILL mid-way, then run again: every account billed once, no gap in the numbers', async function () {
    this.timeout(240_000);
    const child = spawn(process.execPath, [OCTET_BIN, 'bill', '--config', configFile, '--period', '2026-12'], { stdio: 'ignore', env: { ...process.env, OCTET_CONFIG: '' } });
    const exited = new Promise((r) => child.on('exit', r));
    const deadline = Date.now() + 120_000;
    let issued = 0;
    while (Date.now() < deadline) {
      issued = (await invariants('2026-12-01')).count;
      if (issued > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const partial = (await invariants('2026-12-01')).count;
    expect(partial, 'the run was killed before it finished').to.be.greaterThan(0).and.lessThan(ACCOUNTS);
    const again = await runOctet(['bill', '--config', configFile, '--period', '2026-12', '--json']);
    expect(again.code, again.stderr).to.equal(0);
    const r = JSON.parse(again.stdout) as { invoicesIssued: number; accountsAlreadyBilled: number };
    expect(r.invoicesIssued + r.accountsAlreadyBilled).to.equal(ACCOUNTS);
    expect(r.accountsAlreadyBilled).to.equal(partial);
    expect(await invariants('2026-12-01')).to.deep.equal({ count: ACCOUNTS, accounts: ACCOUNTS, span: ACCOUNTS, total: 2 * ACCOUNTS, highest: 2 * ACCOUNTS, next: 2 * ACCOUNTS + 1 });
  });

  it('a dry run prints what would be issued and takes no number; a period that has not begun is refused with exit 2', async function () {
    this.timeout(60_000);
    const dry = await runOctet(['bill', '--config', configFile, '--period', '2026-12', '--dry-run']);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/dry run #\d+ for 2026-12-01: finished/);
    expect((await invariants('2026-12-01')).next).to.equal(2 * ACCOUNTS + 1);
    const future = await runOctet(['bill', '--config', configFile, '--period', '2031-01']);
    expect(future.code).to.equal(2);
    expect(future.stderr + future.stdout).to.contain('has not begun yet');
    const rec = await runOctet(['bill', 'reconcile', '--config', configFile, '--period', '2026-12']);
    expect(rec.code, rec.stderr).to.equal(0);
    expect(rec.stdout).to.equal(`2026-12-01: ${ACCOUNTS} invoices, ${ACCOUNTS} usage windows, no differences\n`);
    const bad = await runOctet(['bill', '--config', configFile, '--period', 'december']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('give the month (2026-12)');
  });
});
