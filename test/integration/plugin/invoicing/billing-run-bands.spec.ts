import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { BillingService, type BillingDeps } from '../../../../plugin/invoicing/billing.service.js';
import { constantOffsetStretches } from '../../../../plugin/rating/index.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
// Last: its MySQL probe starts once the modules above are loaded.
import { forEachDatabase } from '../../../support/databases.js';

const nights = {
  code: 'NIGHTS', name: 'Free nights', currency: 'EUR', recurringFee: '35.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '20', charge: { model: 'per_unit', unitPrice: '0.30' }, timeBands: [{ name: 'night', from: '00:00', to: '07:00', percent: '0' }, { name: 'evening', from: '18:00', to: '22:00', percent: '50' }] },
};

describe('constant-offset stretches', () => {
  it('cuts October in Berlin where summer time ends, and leaves November whole', () => {
    const oct = [Date.parse('2026-09-30T22:00:00Z'), Date.parse('2026-10-31T23:00:00Z')] as const;
    expect(constantOffsetStretches(oct[0], oct[1], 'Europe/Berlin')).to.deep.equal([[oct[0], Date.parse('2026-10-25T01:00:00Z')], [Date.parse('2026-10-25T01:00:00Z'), oct[1]]]);
    const nov = [Date.parse('2026-10-31T23:00:00Z'), Date.parse('2026-11-30T23:00:00Z')] as const;
    expect(constantOffsetStretches(nov[0], nov[1], 'Europe/Berlin')).to.deep.equal([[nov[0], nov[1]]]);
  });
});

/** A month with a DST change and uneven usage, on a tariff with time bands: summed between the band edges or read bucket by bucket, the same documents. */
forEachDatabase('billing run with time bands', (dialect) => {
  const plugins: TestPlugin[] = [];
  after(async () => {
    for (const p of plugins) await p.close();
  });

  async function billed(everyBucket: boolean) {
    const plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, schedule: { enabled: false } } } });
    plugins.push(plugin);
    const clock = plugin.clock as ManualClock;
    clock.set('2026-08-20T10:00:00Z');
    const t = (ms: number) => sqlTime(plugin.ctx.db.dialect, ms);
    await plugin.services.tariffs.catalogue.create(nights, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Bob Example', email: 'bob@example.net', currency: 'EUR' }, 'user:1');
    const s = await subscribers.createService(a.id, { login: 'bob', tariff: 'NIGHTS', startDate: '2026-09-01' }, 'user:1');
    // Every hour of October in Berlin (2026-09-30T22:00Z to 2026-10-31T23:00Z: 745 hours), uneven.
    const rows: unknown[] = [];
    for (let h = 0; h < 745; h++) rows.push('bob', t(Date.parse('2026-09-30T22:00:00Z') + h * 3_600_000), s.id, 'radius', String(((h * 7919) % 1000) * 1_000_000), String(((h * 104729) % 300) * 1_000_000), t(Date.parse('2026-11-01T00:00:00Z')));
    for (let i = 0; i < rows.length; i += 7 * 300) {
      const part = rows.slice(i, i + 7 * 300);
      await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(part.length / 7, 7)}`, { replacements: part });
    }
    clock.set('2026-11-01T05:00:00Z');
    const deps = (plugin.services.invoicing.billing as unknown as { deps: BillingDeps }).deps;
    let segmentReads = 0;
    // The port itself, counting its sums between band edges (so the comparison below is between the two paths).
    const counted = Object.assign(Object.create(deps.usage) as typeof deps.usage, {
      usageBySegments: (...args: Parameters<NonNullable<typeof deps.usage.usageBySegments>>) => {
        segmentReads++;
        return deps.usage.usageBySegments!(...args);
      },
    });
    const usage = everyBucket ? { usageRows: deps.usage.usageRows.bind(deps.usage), usageTotals: deps.usage.usageTotals.bind(deps.usage), closeWindows: deps.usage.closeWindows.bind(deps.usage), pendingAdjustments: deps.usage.pendingAdjustments.bind(deps.usage), markCarried: deps.usage.markCarried.bind(deps.usage) } : counted;
    const run = await new BillingService({ ...deps, usage }).run('2026-11', { dryRun: false, by: 'user:1' });
    const q = <T extends object>(sql: string) => plugin.ctx.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
    return {
      segmentReads,
      run: [run.status, run.failure, run.invoicesIssued, run.accountsFailed],
      lines: await q('SELECT l.position, l.description, l.quantity, l.precise_amount, CAST(l.amount_minor AS CHAR) AS amount FROM invoice_lines l ORDER BY l.invoice_id, l.position'),
      usage: await q('SELECT CAST(u.download AS CHAR) AS d, CAST(u.upload AS CHAR) AS u FROM invoice_usage u ORDER BY u.id'),
      documents: (await q<{ document: string }>('SELECT document FROM invoices ORDER BY id')).map((d) => d.document),
    };
  }

  it('rates usage summed between the band edges as it rates every bucket, across the end of summer time', async function () {
    this.timeout(180_000);
    const summed = await billed(false);
    const buckets = await billed(true);
    expect(summed.run).to.deep.equal(['finished', null, 1, 0]);
    expect(summed.lines.length).to.be.greaterThan(1);
    expect(summed.segmentReads, 'one read per stretch of constant offset: October has two').to.equal(2);
    expect(buckets.segmentReads).to.equal(0);
    expect({ ...summed, segmentReads: 0 }).to.deep.equal(buckets);
  });
});
