import { expect } from 'chai';
import request from 'supertest';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime } from '../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { expectValidResponse } from '../../../support/openapi.js';

const flat = { code: 'FLAT-30', name: 'Flat 30', currency: 'EUR', recurringFee: '30.00', usage: { direction: 'both', unit: 'GB', includedUnits: '0' } };

forEachDatabase('billing runs with discounts, and back-dated runs', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let dora: { accountId: number; serviceId: number };
  let emil: { accountId: number; serviceId: number };

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '19' }, schedule: { enabled: false } } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-09-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(flat, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Dora', currency: 'EUR' }, 'user:1');
    dora = { accountId: a.id, serviceId: (await subscribers.createService(a.id, { login: 'dora', tariff: 'FLAT-30', startDate: '2026-10-01' }, 'user:1')).id };
    await plugin.services.tariffs.discounts.add(a.id, { serviceId: dora.serviceId, code: 'WELCOME', description: 'Two months half price', appliesTo: 'recurring_fee', percent: '50', periods: 2 }, 'user:1');
    const e = await subscribers.createAccount({ name: 'Emil', currency: 'EUR' }, 'user:1');
    emil = { accountId: e.id, serviceId: (await subscribers.createService(e.id, { login: 'emil', tariff: 'FLAT-30', startDate: '2026-10-01' }, 'user:1')).id };
    // Two discounts of the same fee at once cannot be entered; one written past the service (an import, say) stops the account.
    for (const code of ['A', 'B']) {
      const now = sqlTime(plugin.ctx.db.dialect, Date.parse('2026-09-20T10:00:00Z'));
      await plugin.ctx.db.sequelize.query(
        "INSERT INTO discounts (account_id, service_id, code, description, applies_to, kind, value, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'recurring_fee', 'percent', '10', 'active', 'test', ?, ?)",
        { replacements: [e.id, emil.serviceId, code, code, now, now] },
      );
    }
  });
  after(async () => plugin?.close());

  it('a back-dated run is dated the day it runs, due by the payment terms from then, and says which billing date and period it bills', async () => {
    clock.set('2026-12-03T09:00:00Z');
    const p = await plugin.services.invoicing.billing.run('2026-10', { dryRun: false, by: 'user:1' });
    expect([p.invoicesIssued, p.accountsFailed]).to.deep.equal([1, 1]);
    const [inv] = (await plugin.services.invoicing.invoices.list({ accountId: dora.accountId })).rows;
    expect([inv!.issueDate, inv!.dueDate, inv!.periodKey]).to.deep.equal(['2026-12-03', '2026-12-17', '2026-10-01']);
    const snap = await plugin.services.invoicing.invoices.snapshot(inv!.id);
    expect(snap.notes).to.deep.equal(['Billing date 2026-10-01 (period 2026-10-01 – 2026-10-31), issued on 2026-12-03.']);
  });

  it('issues the discount as a negative line right after the fee it reduces, VAT on the net of the pair', async () => {
    const [inv] = (await plugin.services.invoicing.invoices.list({ accountId: dora.accountId })).rows;
    const snap = await plugin.services.invoicing.invoices.snapshot(inv!.id);
    expect(snap.document.lines.map((l) => [l.kind, l.description, l.amountMinor])).to.deep.equal([
      ['recurring_fee', 'dora: Flat 30 (FLAT-30 v1)', 3000n],
      ['discount', 'dora: Discount WELCOME, Two months half price (50%) on Flat 30 (FLAT-30 v1)', -1500n],
    ]);
    expect([inv!.netMinor, inv!.taxMinor, inv!.totalMinor]).to.deep.equal([1500n, 285n, 1785n]);
  });

  it('lists an account that octet rate would refuse (two discounts of one fee at once) as a per-account error of the run (as the API reports it), and issues nothing for it', async () => {
    const runs = await plugin.services.invoicing.billing.runs(1);
    expect(runs[0]!.errors).to.deep.equal([{ accountId: emil.accountId, message: 'service emil: discounts.1: B reduces the same charges as A on the same days: end one before the other begins' }]);
    expect((await plugin.services.invoicing.invoices.list({ accountId: emil.accountId })).rows).to.deep.equal([]);
    const token = (await plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test')).token;
    const res = expectValidResponse(await request(plugin.app).get(`/api/v1/billing-runs/${runs[0]!.id}`).set('Authorization', `Bearer ${token}`));
    expect(res.status).to.equal(200);
    expect(JSON.stringify(res.body)).to.contain('B reduces the same charges as A on the same days');
  });

  it('ends the discount after its two periods: November half price, December full price', async () => {
    await plugin.services.invoicing.billing.run('2026-11', { dryRun: false, by: 'user:1' });
    clock.set('2026-12-05T09:00:00Z');
    await plugin.services.invoicing.billing.run('2026-12', { dryRun: false, by: 'user:1' });
    const rows = (await plugin.services.invoicing.invoices.list({ accountId: dora.accountId, type: 'invoice' })).rows.sort((a, b) => a.periodKey.localeCompare(b.periodKey));
    expect(rows.map((r) => [r.periodKey, r.issueDate, r.totalMinor])).to.deep.equal([
      ['2026-10-01', '2026-12-03', 1785n],
      ['2026-11-01', '2026-12-03', 1785n],
      ['2026-12-01', '2026-12-05', 3570n],
    ]);
    const dec = await plugin.services.invoicing.invoices.snapshot(rows[2]!.id);
    expect(dec.notes).to.deep.equal(['Billing date 2026-12-01 (period 2026-12-01 – 2026-12-31), issued on 2026-12-05.']);
  });

  it('a credit note of a discounted invoice credits the fee and takes the discount back: the same net, tax and total', async () => {
    const nov = (await plugin.services.invoicing.invoices.list({ accountId: dora.accountId, type: 'invoice' })).rows.find((r) => r.periodKey === '2026-11-01')!;
    const cn = await plugin.services.invoicing.billing.creditNote(nov.id, { reason: 'goodwill', by: 'user:1', void: true });
    const snap = await plugin.services.invoicing.invoices.snapshot(cn.creditNoteId);
    expect(snap.document.lines.map((l) => [l.kind, l.amountMinor, l.reduces ?? null])).to.deep.equal([
      ['recurring_fee', 3000n, null],
      ['discount', -1500n, -1],
    ]);
    expect(snap.document.lineTaxes.map((t) => t.taxMinor)).to.deep.equal([570n, -285n]);
    expect(snap.document.totals).to.deep.equal({ netMinor: 1500n, taxMinor: 285n, totalMinor: 1785n });
  });

  it('a credit note of the discount line alone gives the discount back as a charge, taxed on its own', async () => {
    const oct = (await plugin.services.invoicing.invoices.list({ accountId: dora.accountId, type: 'invoice' })).rows.find((r) => r.periodKey === '2026-10-01')!;
    const cn = await plugin.services.invoicing.billing.creditNote(oct.id, { reason: 'discount given by mistake', by: 'user:1', lines: [2] });
    const snap = await plugin.services.invoicing.invoices.snapshot(cn.creditNoteId);
    expect(snap.document.totals).to.deep.equal({ netMinor: -1500n, taxMinor: -285n, totalMinor: -1785n });
  });
});
