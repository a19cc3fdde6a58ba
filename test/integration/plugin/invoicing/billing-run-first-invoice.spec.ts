import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime } from '../../../../plugin/db/sql.js';
import { up as migration0030 } from '../../../../migrations/0030-billing-first-dates.js';
import { forEachDatabase, type TestDialect } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GB = 1_000_000_000n;

// 31.00 a month, 0.50 per GB: December's 31 days make whole euros per day.
const fibre = {
  code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '31.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '0', charge: { model: 'per_unit', unitPrice: '0.50' } },
};

async function pluginWith(dialect: TestDialect, billing: Record<string, unknown> = {}): Promise<TestPlugin> {
  const plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '0' }, schedule: { enabled: false }, ...billing } } });
  (plugin.clock as ManualClock).set('2026-11-20T10:00:00Z');
  await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
  // Someone already billed on every date, so that each run has an account to bill.
  const a = await plugin.services.subscribers.subscribers.createAccount({ name: 'Early Example', currency: 'EUR' }, 'user:1');
  await plugin.services.subscribers.subscribers.createService(a.id, { login: 'early', tariff: 'FIBRE-100', startDate: '2026-11-01' }, 'user:1');
  return plugin;
}

async function newService(plugin: TestPlugin, login: string, startDate: string): Promise<{ accountId: number; serviceId: number }> {
  const { subscribers } = plugin.services.subscribers;
  const a = await subscribers.createAccount({ name: `${login} Example`, currency: 'EUR' }, 'user:1');
  const s = await subscribers.createService(a.id, { login, tariff: 'FIBRE-100', startDate }, 'user:1');
  return { accountId: a.id, serviceId: s.id };
}

async function addUsage(plugin: TestPlugin, login: string, serviceId: number, iso: string, bytes: bigint): Promise<void> {
  const t = sqlTime(plugin.ctx.db.dialect, Date.parse(iso));
  await plugin.ctx.db.sequelize.query('INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', { replacements: [login, t, serviceId, 'radius', bytes.toString(), '0', t] });
}

async function bill(plugin: TestPlugin, nowIso: string, date: string) {
  (plugin.clock as ManualClock).set(nowIso);
  const run = await plugin.services.invoicing.billing.run(date, { dryRun: false, by: 'user:1' });
  expect([run.status, run.failure, run.accountsFailed], `run for ${date}`).to.deep.equal(['finished', null, 0]);
  return run;
}

/** The account's documents, oldest first: billing date and [kind, line start (local date), amount] of each fee and usage line, by kind and date. */
async function documentsOf(plugin: TestPlugin, accountId: number) {
  const { invoices } = plugin.services.invoicing;
  const rows = (await invoices.list({ accountId })).rows.sort((a, b) => a.periodKey.localeCompare(b.periodKey));
  const out: Array<{ date: string; lines: Array<[string, string, bigint]> }> = [];
  for (const d of rows) {
    const lines = (await invoices.snapshot(d.id)).document.lines.filter((l) => l.kind === 'recurring_fee' || l.kind === 'usage');
    const described = lines.map((l): [string, string, bigint] => [l.kind, new Date(l.fromMs).toLocaleDateString('sv', { timeZone: 'Europe/Berlin' }), l.amountMinor]);
    out.push({ date: d.periodKey, lines: described.sort((x, y) => `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`)) });
  }
  return out;
}

forEachDatabase('billing run: a service’s first invoice', (dialect) => {
  describe('without invoiceOnStart (the default)', () => {
    let plugin: TestPlugin;
    beforeEach(async () => (plugin = await pluginWith(dialect)));
    afterEach(async () => plugin?.close());

    it('a service starting on the 1st but entered after the run for the 1st has that month’s fee on its next invoice, once (before, it was never billed)', async () => {
      await bill(plugin, '2026-12-01T05:00:00Z', '2026-12');
      (plugin.clock as ManualClock).set('2026-12-01T10:00:00Z');
      const s = await newService(plugin, 'dora', '2026-12-01');
      await addUsage(plugin, 'dora', s.serviceId, '2026-12-15T10:00:00Z', 2n * GB);
      await bill(plugin, '2027-01-01T06:00:00Z', '2027-01');
      await bill(plugin, '2027-02-01T06:00:00Z', '2027-02');
      expect(await documentsOf(plugin, s.accountId)).to.deep.equal([
        { date: '2027-01-01', lines: [['recurring_fee', '2026-12-01', 3100n], ['recurring_fee', '2027-01-01', 3100n], ['usage', '2026-12-01', 100n]] },
        { date: '2027-02-01', lines: [['recurring_fee', '2027-02-01', 3100n], ['usage', '2027-01-01', 0n]] },
      ]);
    });

    it('a service entered in a later period than its start (an import) is billed from the billing date before the run, as before: no earlier fee', async () => {
      await bill(plugin, '2026-12-01T05:00:00Z', '2026-12');
      (plugin.clock as ManualClock).set('2026-12-05T10:00:00Z');
      const s = await newService(plugin, 'imported', '2026-11-01');
      await bill(plugin, '2027-01-01T06:00:00Z', '2027-01');
      const docs = await documentsOf(plugin, s.accountId);
      expect(docs.map((d) => [d.date, d.lines.filter((l) => l[0] === 'recurring_fee').map((l) => [l[1], l[2]])])).to.deep.equal([['2027-01-01', [['2027-01-01', 3100n]]]]);
    });

    it('a service on the run for its start date is not billed for it again on the next one', async () => {
      (plugin.clock as ManualClock).set('2026-11-25T10:00:00Z');
      const s = await newService(plugin, 'ernie', '2026-12-01');
      await bill(plugin, '2026-12-01T05:00:00Z', '2026-12');
      await bill(plugin, '2027-01-01T06:00:00Z', '2027-01');
      const docs = await documentsOf(plugin, s.accountId);
      expect(docs.map((d) => [d.date, d.lines.filter((l) => l[0] === 'recurring_fee').map((l) => l[1])])).to.deep.equal([
        ['2026-12-01', ['2026-12-01']],
        ['2027-01-01', ['2027-01-01']],
      ]);
      const [marks] = (await plugin.ctx.db.sequelize.query('SELECT period_key AS k FROM billing_first_dates WHERE service_id = ?', { replacements: [s.serviceId], type: QueryTypes.SELECT })) as Array<{ k: string }>;
      expect(marks).to.deep.equal({ k: '2026-12-01' });
    });

    it('migration 0030 records, for services already billed, the first billing date they appeared on', async () => {
      (plugin.clock as ManualClock).set('2026-11-25T10:00:00Z');
      const s = await newService(plugin, 'fred', '2026-11-26');
      await bill(plugin, '2026-12-01T05:00:00Z', '2026-12');
      await bill(plugin, '2027-01-01T06:00:00Z', '2027-01');
      const read = async () => (await plugin.ctx.db.sequelize.query('SELECT service_id AS s, period_key AS k FROM billing_first_dates ORDER BY service_id', { type: QueryTypes.SELECT })) as Array<{ s: number; k: string }>;
      const written = (await read()).map((r) => [Number(r.s), r.k]);
      expect(written).to.deep.include([s.serviceId, '2026-12-01']);
      // As on an installation upgraded to 0030: the table is made again from the issued documents.
      await plugin.ctx.db.sequelize.getQueryInterface().dropTable('billing_first_dates');
      await migration0030({ queryInterface: plugin.ctx.db.sequelize.getQueryInterface(), dialect: plugin.ctx.db.dialect } as never);
      expect((await read()).map((r) => [Number(r.s), r.k])).to.deep.equal(written);
    });
  });

  describe('with invoiceOnStart', () => {
    let plugin: TestPlugin;
    beforeEach(async () => (plugin = await pluginWith(dialect, { invoiceOnStart: true })));
    afterEach(async () => plugin?.close());

    it('a service starting mid-month is invoiced on the next daily run (the prorated rest of the month), then on the 1st for the new month and the usage, nothing twice', async () => {
      await bill(plugin, '2026-12-01T05:00:00Z', '2026-12');
      (plugin.clock as ManualClock).set('2026-12-10T10:00:00Z');
      const s = await newService(plugin, 'gina', '2026-12-10');
      await addUsage(plugin, 'gina', s.serviceId, '2026-12-10T12:00:00Z', 4n * GB);
      // The 00:30 run of the 11th; run again, it issues nothing more.
      await bill(plugin, '2026-12-11T00:30:00Z', '2026-12-11');
      const again = await bill(plugin, '2026-12-11T08:00:00Z', '2026-12-11');
      expect(again.invoicesIssued).to.equal(0);
      // Runs on later days have nothing for it.
      const later = await bill(plugin, '2026-12-12T00:30:00Z', '2026-12-12');
      expect(later.invoicesIssued).to.equal(0);
      await addUsage(plugin, 'gina', s.serviceId, '2026-12-20T12:00:00Z', 2n * GB);
      await bill(plugin, '2027-01-01T06:00:00Z', '2027-01');
      expect(await documentsOf(plugin, s.accountId)).to.deep.equal([
        // 22 days of 31 (10–31 December) in advance.
        { date: '2026-12-11', lines: [['recurring_fee', '2026-12-10', 2200n]] },
        // January in advance; all of December's 6 GB at 0.50 in arrears.
        { date: '2027-01-01', lines: [['recurring_fee', '2027-01-01', 3100n], ['usage', '2026-12-10', 300n]] },
      ]);
      // A run for a date before its first invoice (a back-dated `octet bill`) carries nothing for it.
      const back = await bill(plugin, '2027-01-02T08:00:00Z', '2026-12-10');
      expect((await documentsOf(plugin, s.accountId)).map((d) => d.date)).to.deep.equal(['2026-12-11', '2027-01-01']);
      expect(back.invoicesIssued).to.equal(0);
    });

    it('two runs of different days at once, both finding a new service’s first invoice due, issue it once', async () => {
      await bill(plugin, '2026-12-01T05:00:00Z', '2026-12');
      (plugin.clock as ManualClock).set('2026-12-10T10:00:00Z');
      const s = await newService(plugin, 'ivy', '2026-12-10');
      (plugin.clock as ManualClock).set('2026-12-12T08:00:00Z');
      // Two dates, two leases: nothing but the first-billing record stops both from carrying it.
      const runs = await Promise.all(['2026-12-11', '2026-12-12'].map((date) => plugin.services.invoicing.billing.run(date, { dryRun: false, by: 'user:1' }).catch((err: unknown) => err as Error)));
      const docs = await documentsOf(plugin, s.accountId);
      expect(docs.map((d) => d.lines)).to.deep.equal([[['recurring_fee', '2026-12-10', 2200n]]]);
      // Both finish: the other run found it billed when it rated, or says why it left the account
      // (the first one committed in between; on MariaDB its read of the record waits for that
      // commit instead of failing on the record's key); running both again issues nothing more.
      for (const r of runs) {
        if (r instanceof Error) throw r;
        expect([r.status, r.failure]).to.deep.equal(['finished', null]);
        for (const e of r.errors.filter((x) => x.accountId === s.accountId)) expect(e.message).to.match(/^a service of the account was first billed by the run for 2026-12-1[12] while this run rated it/);
      }
      for (const date of ['2026-12-11', '2026-12-12']) await plugin.services.invoicing.billing.run(date, { dryRun: false, by: 'user:1' });
      expect((await documentsOf(plugin, s.accountId)).map((d) => d.lines)).to.deep.equal([[['recurring_fee', '2026-12-10', 2200n]]]);
    });

    it('a service starting on a billing date is billed on that date’s run when it exists by then, with no extra invoice', async () => {
      (plugin.clock as ManualClock).set('2026-11-25T10:00:00Z');
      const s = await newService(plugin, 'hank', '2026-12-01');
      await bill(plugin, '2026-12-01T00:30:00Z', '2026-12');
      await bill(plugin, '2026-12-02T00:30:00Z', '2026-12-02');
      await bill(plugin, '2027-01-01T00:30:00Z', '2027-01');
      expect((await documentsOf(plugin, s.accountId)).map((d) => [d.date, d.lines.filter((l) => l[0] === 'recurring_fee').map((l) => l[1])])).to.deep.equal([
        ['2026-12-01', ['2026-12-01']],
        ['2027-01-01', ['2027-01-01']],
      ]);
    });
  });
});
