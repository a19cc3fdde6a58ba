import { expect } from 'chai';
import { revenueByKind, revenueByMonth, topCustomers, usageByTariff } from '../../../../../plugin/invoicing/reports/aggregate.js';
import { accountBalance } from '../../../../../plugin/invoicing/reports/balance.js';
import { ReportsRepository } from '../../../../../plugin/invoicing/reports/reports.repository.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { invoicesRepository, issue, newDocument } from '../web/fixtures.js';

/**
 * The fixture document (test/unit/plugin/invoicing/fixtures.ts, EUR): usage 2.50 (HOME-100 v1,
 * 120 GB down, 5 GB up in January), installation 49.90, February's fee 31.00; net 83.40, VAT
 * 15.85, total 99.25.
 */
forEachDatabase('report queries over issued invoices', (dialect) => {
  let plugin: TestPlugin;
  let reports: ReportsRepository;
  let a: number;
  let b: number;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    const subs = plugin.services.subscribers.subscribers;
    a = (await subs.createAccount({ name: 'A' }, 'test')).id;
    b = (await subs.createAccount({ name: 'B' }, 'test')).id;
    const sv = await subs.createService(a, { login: 'a-1' }, 'test');
    const invoices = invoicesRepository(plugin.ctx);
    const [first] = await issue(plugin.ctx, invoices, [newDocument(a, 'k1', { serviceId: sv.id }), newDocument(b, 'k2')]);
    await issue(plugin.ctx, invoices, [newDocument(a, 'k3', { type: 'credit_note', corrects: { id: first!.id, number: first!.number! } })]);
    await issue(plugin.ctx, invoices, [newDocument(a, 'k4', { periodKey: '2026-03-01', issueDate: '2026-03-01' })]);
    reports = new ReportsRepository({ db: plugin.ctx.db });
  });
  after(async () => plugin?.close());

  it('sums revenue per month of issue, credit notes subtracted', async () => {
    const months = revenueByMonth(await reports.revenueRows('2026-01-01', '2026-04-01'));
    expect(months).to.deep.equal([
      { month: '2026-02', currency: 'EUR', invoices: 2, creditNotes: 1, netMinor: 8_340n, taxMinor: 1_585n, totalMinor: 9_925n, creditedTotalMinor: 9_925n },
      { month: '2026-03', currency: 'EUR', invoices: 1, creditNotes: 0, netMinor: 8_340n, taxMinor: 1_585n, totalMinor: 9_925n, creditedTotalMinor: 0n },
    ]);
    expect(await reports.revenueRows('2026-04-01', '2026-05-01')).to.deep.equal([]);
  });

  it('sums line amounts per kind of charge, credits negative', async () => {
    const [eur] = revenueByKind(await reports.kindRows('2026-01-01', '2026-04-01'));
    expect(eur!.groups.map((g) => [g.key, g.amountMinor])).to.deep.equal([
      ['recurring', 9_300n],
      ['usage', 750n],
      ['top_up', 0n],
      ['items', 14_970n],
      ['adjustment', 0n],
      ['discounts', 0n],
      ['credits', -8_340n],
    ]);
  });

  it('ranks the accounts of a period by invoiced minus credited', async () => {
    const top = topCustomers(await reports.customerRows('2026-02-01', 10), 10);
    expect(top.map((t) => [t.accountId, t.invoicedMinor, t.creditedMinor, t.netMinor])).to.deep.equal([
      [b, 9_925n, 0n, 9_925n],
      [a, 9_925n, 9_925n, 0n],
    ]);
    expect((await reports.customerRows('2026-02-01', 1)).map((r) => r.accountId)).to.deep.equal([b]);
  });

  it('attributes the billed bytes of usage windows to the tariff version of their usage line', async () => {
    const rows = usageByTariff(await reports.tariffAmountRows('2026-02-01', '2026-03-01'), await reports.tariffBytesRows('2026-02-01', '2026-03-01'));
    expect(rows).to.deep.equal([
      { periodKey: '2026-02-01', tariff: 'HOME-100 v1', code: 'HOME-100', version: 1, currency: 'EUR', lines: 2, download: 120_000_000_000n, upload: 5_000_000_000n, amountMinor: 500n },
    ]);
  });

  it("gives the totals of two periods and an account's documents for its balance", async () => {
    const totals = await reports.periodTotals(['2026-03-01', '2026-02-01']);
    expect(totals.map((t) => [t.periodKey, t.type, t.totalMinor]).sort()).to.deep.equal([
      ['2026-02-01', 'credit_note', 9_925n],
      ['2026-02-01', 'invoice', 19_850n],
      ['2026-03-01', 'invoice', 9_925n],
    ]);
    expect(accountBalance(await reports.accountDocuments(a))).to.deep.equal([{ currency: 'EUR', openInvoicesMinor: 19_850n, openCreditsMinor: 9_925n, balanceMinor: 9_925n }]);
    expect(await reports.periods()).to.deep.equal(['2026-03-01', '2026-02-01']);
  });
});
