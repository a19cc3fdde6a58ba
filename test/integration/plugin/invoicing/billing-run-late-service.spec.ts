import { expect } from 'chai';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime } from '../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GB = 1_000_000_000n;

const fibre = {
  code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '31.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '0', charge: { model: 'per_unit', unitPrice: '0.50' } },
};

forEachDatabase('billing run: a service created after its first period was billed', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, schedule: { enabled: false } } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-11-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Early Example', currency: 'EUR' }, 'user:1');
    await subscribers.createService(a.id, { login: 'early', tariff: 'FIBRE-100', startDate: '2026-11-01' }, 'user:1');
  });
  after(async () => plugin?.close());

  it('the January invoice carries the prorated December fee (10–31 Dec) of a service created after the December run, January in advance and December usage, each once', async () => {
    clock.set('2026-12-01T05:00:00Z');
    const dec = await plugin.services.invoicing.billing.run('2026-12', { dryRun: false, by: 'user:1' });
    expect([dec.status, dec.invoicesIssued]).to.deep.equal(['finished', 1]);

    // Created on 12 December, after the December run, starting on 10 December.
    clock.set('2026-12-12T10:00:00Z');
    const { subscribers } = plugin.services.subscribers;
    const late = await subscribers.createAccount({ name: 'Late Example', currency: 'EUR' }, 'user:1');
    const ls = await subscribers.createService(late.id, { login: 'late', tariff: 'FIBRE-100', startDate: '2026-12-10' }, 'user:1');
    // 2 GB on 15 December.
    const t = sqlTime(plugin.ctx.db.dialect, Date.parse('2026-12-15T10:00:00Z'));
    await plugin.ctx.db.sequelize.query('INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', { replacements: ['late', t, ls.id, 'radius', (2n * GB).toString(), '0', t] });

    clock.set('2027-01-01T06:00:00Z');
    const jan = await plugin.services.invoicing.billing.run('2027-01', { dryRun: false, by: 'user:1' });
    expect([jan.status, jan.failure, jan.accountsFailed]).to.deep.equal(['finished', null, 0]);
    const { invoices } = plugin.services.invoicing;
    const docs = (await invoices.list({ accountId: late.id })).rows;
    expect(docs.map((d) => d.periodKey)).to.deep.equal(['2027-01-01']);
    const lines = (await invoices.snapshot(docs[0]!.id)).document.lines;
    // 22 of December's 31 days of 31.00 = 22.00; January 31.00; 2 GB at 0.50 = 1.00.
    expect(lines.filter((l) => l.kind === 'recurring_fee').map((l) => l.amountMinor).sort()).to.deep.equal([2200n, 3100n]);
    expect(lines.filter((l) => l.kind === 'usage').map((l) => l.amountMinor)).to.deep.equal([100n]);

    // Billed once: the February invoice has February's fee only.
    clock.set('2027-02-01T06:00:00Z');
    await plugin.services.invoicing.billing.run('2027-02', { dryRun: false, by: 'user:1' });
    const feb = (await invoices.list({ accountId: late.id, periodKey: '2027-02-01' })).rows[0]!;
    expect((await invoices.snapshot(feb.id)).document.lines.filter((l) => l.kind === 'recurring_fee').map((l) => l.amountMinor)).to.deep.equal([3100n]);
  });
});
