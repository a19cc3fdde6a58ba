import { expect } from 'chai';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const flat = { code: 'FLAT-30', name: 'Flat 30', currency: 'EUR', recurringFee: '30.00' };

/** Issue 14: an account's credit (an overpayment) pays a new invoice as soon as it is issued. */
forEachDatabase('credit applied at issue', (dialect) => {
  let plugin: TestPlugin;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '0' }, schedule: { enabled: false } } } });
    (plugin.clock as ManualClock).set('2026-11-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(flat, 'user:1');
  });
  after(async () => plugin?.close());

  async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    let v = await read();
    for (let i = 0; i < 200 && !ok(v); i++) {
      await new Promise((r) => setTimeout(r, 25));
      v = await read();
    }
    return v;
  }

  it('allocates credit held to the invoice the billing run issues, moving it to paid, and keeps what is left as credit; an account without credit is untouched', async () => {
    const { subscribers } = plugin.services.subscribers;
    const payer = await subscribers.createAccount({ name: 'Paid Ahead', currency: 'EUR' }, 'user:1');
    await subscribers.createService(payer.id, { login: 'ahead', tariff: 'FLAT-30', startDate: '2026-11-01' }, 'user:1');
    const other = await subscribers.createAccount({ name: 'No Credit', currency: 'EUR' }, 'user:1');
    await subscribers.createService(other.id, { login: 'plain', tariff: 'FLAT-30', startDate: '2026-11-01' }, 'user:1');
    // 100 EUR received before any invoice: all of it is credit.
    await plugin.services.payments.record({ accountId: payer.id, amountMinor: 10000n, currency: 'EUR', method: 'bank_transfer', reference: 'ahead', receivedAt: new Date('2026-11-20T09:00:00Z'), source: 'manual', externalId: null }, 'user:1');
    expect((await plugin.services.payments.balance(payer.id, '2026-11-20')).creditMinor).to.equal(10000n);

    (plugin.clock as ManualClock).set('2026-12-01T05:00:00Z');
    const run = await plugin.services.invoicing.billing.run('2026-12', { dryRun: false, by: 'user:1' });
    expect([run.status, run.invoicesIssued]).to.deep.equal(['finished', 2]);
    const { invoices } = plugin.services.invoicing;
    const [issued] = (await invoices.list({ accountId: payer.id })).rows;
    expect(issued!.totalMinor > 0n).to.equal(true);
    const paid = await eventually(() => invoices.get(issued!.id), (i) => i.status === 'paid');
    expect(paid.status).to.equal('paid');
    const balance = await plugin.services.payments.balance(payer.id, '2026-12-01');
    expect([balance.openMinor, balance.creditMinor]).to.deep.equal([0n, 10000n - issued!.totalMinor]);
    const [unpaid] = (await invoices.list({ accountId: other.id })).rows;
    expect((await invoices.get(unpaid!.id)).status).to.equal('issued');
    // The credit job's pass afterwards finds nothing left to allocate.
    expect(await plugin.services.payments.applyCredit(payer.id, 'system:credit')).to.deep.equal([]);
  });
});
