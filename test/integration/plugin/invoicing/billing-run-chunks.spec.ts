import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger, type Logger } from '../../../../plugin/common/logger.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { BillingService, type BillingDeps } from '../../../../plugin/invoicing/billing.service.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
// Last: its MySQL probe starts once the modules above are loaded (a loaded machine would otherwise time it out).
import { forEachDatabase } from '../../../support/databases.js';

const GB = 1_000_000_000n;
const fibre = { code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '30.00', usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.50' } } };
const nights = {
  code: 'NIGHTS', name: 'Free nights', currency: 'EUR', recurringFee: '35.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '20', charge: { model: 'graduated', tiers: [{ from: '0', to: '50', unitPrice: '0.40' }, { from: '50', to: null, unitPrice: '0.20', flatFee: '1.00' }] }, timeBands: [{ name: 'night', from: '00:00', to: '07:00', percent: '0' }] },
};

/**
 * The same customers billed twice on two databases: once in chunks of one account (every chunk
 * after the first rated on the run's rating worker), once in one chunk (rated on the run's
 * thread). Issued documents are compared as stored: text, hash, lines, billed usage.
 */
forEachDatabase('billing run in chunks', (dialect) => {
  const plugins: TestPlugin[] = [];
  after(async () => {
    for (const p of plugins) await p.close();
  });

  async function billed(runChunk: number, logger: Logger) {
    const plugin = await createTestPlugin(dialect, { logger, config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, runChunk, schedule: { enabled: false } } } });
    plugins.push(plugin);
    const clock = plugin.clock as ManualClock;
    clock.set('2026-09-20T10:00:00Z');
    const t = (ms: number) => sqlTime(plugin.ctx.db.dialect, ms);
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    await plugin.services.tariffs.catalogue.create(nights, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const customers: Array<[string, string, string, bigint]> = [
      ['alice', 'FIBRE-100', '2026-10-01', (150n * GB) / 720n + 1n],
      ['bob', 'NIGHTS', '2026-10-01', (90n * GB) / 720n],
      ['carol', 'NIGHTS', '2026-11-16', GB / 3n],
      ['dave', 'FIBRE-100', '2026-11-03', 7n * GB],
      ['erin', 'FIBRE-100', '2026-10-01', 0n],
    ];
    for (const [login, tariff, startDate, perHour] of customers) {
      const a = await subscribers.createAccount({ name: `${login} Example`, email: `${login}@example.net`, currency: 'EUR' }, 'user:1');
      const s = await subscribers.createService(a.id, { login, tariff, startDate }, 'user:1');
      if (perHour === 0n) continue;
      // Every hour of November in Berlin (2026-10-31T23:00Z onwards).
      const rows: unknown[] = [];
      for (let h = 0; h < 720; h++) rows.push(login, t(Date.parse('2026-10-31T23:00:00Z') + h * 3_600_000), s.id, 'radius', ((perHour * 4n) / 5n).toString(), (perHour / 5n).toString(), t(Date.parse('2026-11-01T00:00:00Z')));
      for (let i = 0; i < rows.length; i += 7 * 400) {
        const part = rows.slice(i, i + 7 * 400);
        await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(part.length / 7, 7)}`, { replacements: part });
      }
    }
    clock.set('2026-12-01T05:00:00Z');
    // The worker (opt-in) from chunks of one account (by default it is used only from chunks of 200).
    const deps = (plugin.services.invoicing.billing as unknown as { deps: BillingDeps }).deps;
    const run = await new BillingService({ ...deps, ratingWorker: runChunk === 1, ratingWorkerFromChunk: 1 }).run('2026-12', { dryRun: false, by: 'user:1' });
    const q = <T extends object>(sql: string) => plugin.ctx.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
    return {
      run: [run.status, run.failure, run.invoicesIssued, run.accountsFailed],
      invoices: await q('SELECT number, account_id, document, content_sha256 FROM invoices ORDER BY id'),
      lines: await q('SELECT i.number, l.position, l.description, l.quantity, l.precise_amount, CAST(l.amount_minor AS CHAR) AS amount FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id ORDER BY i.id, l.position'),
      usage: await q('SELECT i.number, u.service_id, CAST(u.download AS CHAR) AS d, CAST(u.upload AS CHAR) AS u FROM invoice_usage u JOIN invoices i ON i.id = u.invoice_id ORDER BY i.id, u.id'),
    };
  }

  it('issues the same documents, byte for byte, in chunks of one account rated on the worker as in one chunk rated inline', async function () {
    this.timeout(180_000); // two migrated databases
    const onWorker: string[] = [];
    const warnings: string[] = [];
    const logger: Logger = { ...nullLogger, debug: (m) => void onWorker.push(m), warn: (m, meta) => void warnings.push(`${m} ${JSON.stringify(meta)}`), error: (m, meta) => void warnings.push(`${m} ${JSON.stringify(meta)}`) };
    const chunked = await billed(1, logger);
    const whole = await billed(500, nullLogger);
    expect([chunked.run, warnings]).to.deep.equal([['finished', null, 5, 0], []]);
    // Chunks 2 to 5 on the worker (the first is rated while it starts).
    expect(onWorker.filter((m) => m === 'billing run chunk rated on the worker')).to.have.length(4);
    expect(whole.run).to.deep.equal(chunked.run);
    expect(chunked.invoices.map((i) => (i as { number: string }).number)).to.deep.equal(['INV-000001', 'INV-000002', 'INV-000003', 'INV-000004', 'INV-000005']);
    expect(chunked.invoices).to.deep.equal(whole.invoices);
    expect(chunked.lines).to.deep.equal(whole.lines);
    expect(chunked.lines.length).to.be.greaterThan(9);
    // Dave's allowance is prorated (93.333333 GB): the line's stored quantity keeps 20 places (the snapshot keeps them all).
    expect(chunked.lines.filter((l) => String((l as { description: string }).description).startsWith('dave: Usage')).map((l) => (l as { quantity: string }).quantity)).to.deep.equal(['4610.66666666666666666667']);
    expect(chunked.usage).to.deep.equal(whole.usage);
  });
});
