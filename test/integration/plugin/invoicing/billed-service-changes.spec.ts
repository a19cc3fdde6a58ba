import { expect } from 'chai';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { ValidationError } from '../../../../plugin/common/errors.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn } from '../../../support/web.js';

// 31.00 a month: January's 31 days make whole euros per day.
const fibre = {
  code: 'FIBRE-100', name: 'Fibre 100', currency: 'EUR', recurringFee: '31.00',
  usage: { direction: 'both', unit: 'GB', includedUnits: '0', charge: { model: 'per_unit', unitPrice: '0.50' }, topUps: [{ code: 'EXTRA-100', units: '100', price: '3.00' }] },
};
const fibre200 = { ...fibre, code: 'FIBRE-200', name: 'Fibre 200', recurringFee: '62.00' };

/** The ValidationError `fn` throws, for its field and message. */
async function refusal(fn: () => Promise<unknown>): Promise<{ field: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { field: err.issues[0]!.field, message: err.issues[0]!.message };
  }
  throw new Error('expected a ValidationError');
}

forEachDatabase('changes to a billed service', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let serviceId: number;
  let accountId: number;

  beforeEach(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', tax: { name: 'VAT', percent: '0' }, schedule: { enabled: false } } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-11-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fibre, 'user:1');
    await plugin.services.tariffs.catalogue.create(fibre200, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    const a = await subscribers.createAccount({ name: 'Ida Example', currency: 'EUR' }, 'user:1');
    const s = await subscribers.createService(a.id, { login: 'ida', tariff: 'FIBRE-100', startDate: '2026-11-01' }, 'user:1');
    accountId = a.id;
    serviceId = s.id;
    for (const [now, date] of [['2026-12-01T05:00:00Z', '2026-12'], ['2027-01-01T05:00:00Z', '2027-01']] as const) {
      clock.set(now);
      const run = await plugin.services.invoicing.billing.run(date, { dryRun: false, by: 'user:1' });
      expect([run.status, run.invoicesIssued]).to.deep.equal(['finished', 1]);
    }
    clock.set('2027-01-10T09:00:00Z');
  });
  afterEach(async () => plugin?.close());

  it('refuses an end before the last billing date that carries the service, naming it, and changes nothing; an end on or after it is credited on the next run', async () => {
    const { subscribers } = plugin.services.subscribers;
    // January's fee was issued in advance on 1 January: an end in December would never credit it.
    expect(await refusal(() => subscribers.endService(serviceId, { endDate: '2026-12-15' }, 'user:1'))).to.deep.equal({
      field: 'endDate',
      message: 'must be on or after 2027-01-01: the service is billed through the run for 2027-01-01 (its fee in advance); end it on 2027-01-01 or later, and credit the days before with a credit note',
    });
    expect((await subscribers.getService(serviceId)).status).to.equal('active');
    expect(await subscribers.earliestEndDate(serviceId)).to.equal('2027-01-01');

    await subscribers.endService(serviceId, { endDate: '2027-01-05' }, 'user:1');
    clock.set('2027-02-01T05:00:00Z');
    const feb = await plugin.services.invoicing.billing.run('2027-02', { dryRun: false, by: 'user:1' });
    expect([feb.status, feb.accountsFailed, feb.creditNotesIssued]).to.deep.equal(['finished', 0, 1]);
    const { invoices } = plugin.services.invoicing;
    const credit = (await invoices.list({ accountId, periodKey: '2027-02-01' })).rows.find((d) => d.type === 'credit_note')!;
    // 6 to 31 January: 26 of 31 days of 31.00.
    expect((await invoices.snapshot(credit.id)).document.lines.filter((l) => l.kind === 'recurring_fee').map((l) => l.amountMinor)).to.deep.equal([2600n]);
  });

  it('says on the service page why an end before the billed date is refused (422), and ends nothing', async () => {
    // A staff session's expiry is the cookie's (real time), checked against the plugin's clock, so
    // log in at the real time; the refusal depends on dates only.
    clock.set(new Date().toISOString());
    const billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    const _csrf = await csrfOf(billing, `/services/${serviceId}/edit`);
    const page = await billing.post(`/services/${serviceId}/end`).type('form').send({ _csrf, endDate: '2026-12-15' }).expect(422);
    expect(page.text).to.contain('End date must be on or after 2027-01-01: the service is billed through the run for 2027-01-01');
    expect((await plugin.services.subscribers.subscribers.getService(serviceId)).status).to.equal('active');
  });

  it('refuses a tariff change dated on or before the last billing date, and a new start date, once the service is billed', async () => {
    const { subscribers } = plugin.services.subscribers;
    expect(await refusal(() => subscribers.updateService(serviceId, { tariff: 'FIBRE-200', tariffFrom: '2026-12-20' }, 'user:1'))).to.deep.equal({
      field: 'tariffFrom',
      message: 'must be after 2027-01-01: the service is billed through the run for 2027-01-01 with the tariff it had; date the change later',
    });
    expect(await refusal(() => subscribers.updateService(serviceId, { tariff: 'FIBRE-200', tariffFrom: '2027-01-01' }, 'user:1'))).to.have.property('field', 'tariffFrom');
    const start = await refusal(() => subscribers.updateService(serviceId, { startDate: '2026-11-10' }, 'user:1'));
    expect(start.field).to.equal('startDate');
    expect(start.message).to.contain('billed (through the run for 2027-01-01)');
    // Nothing changed: tariff, history and start as they were.
    const s = await subscribers.getService(serviceId);
    expect([s.tariff, s.startDate]).to.deep.equal(['FIBRE-100', '2026-11-01']);
    expect((await plugin.services.subscribers.billing.services([accountId])).get(accountId)![0]!.tariffs.map((h) => h.code)).to.deep.equal(['FIBRE-100']);
    // From now (after the billed date) the change is taken.
    await subscribers.updateService(serviceId, { tariff: 'FIBRE-200' }, 'user:1');
    expect((await subscribers.getService(serviceId)).tariff).to.equal('FIBRE-200');
  });

  it('refuses a one-off charge, a recurring charge’s start, a top-up or a discount’s start dated on or before the last billing date, which would never be invoiced; dated after it, a one-off is on the next invoice', async () => {
    const { charges } = plugin.services.tariffs;
    const install = { code: 'INSTALL', description: 'Installation', price: '79.00', recurring: false };
    expect(await refusal(() => charges.addCharge(accountId, { ...install, at: '2026-12-15', serviceId }, 'user:1'))).to.deep.equal({
      field: 'at',
      message: `must be after 2027-01-01: the run for 2027-01-01 has billed service #${serviceId}, so a one-off dated then would never be invoiced; date it after 2027-01-01 and it goes on the next invoice`,
    });
    // The account's own charges (no service) look at the account's documents.
    expect(await refusal(() => charges.addCharge(accountId, { ...install, at: '2027-01-01T00:00:00+01:00' }, 'user:1'))).to.have.property('field', 'at');
    expect(await refusal(() => charges.addCharge(accountId, { code: 'STATIC-IP', description: 'Static IPv4', price: '5.00', recurring: true, fromDate: '2026-12-01' }, 'user:1'))).to.have.property('field', 'fromDate');
    expect(await refusal(() => charges.buyTopUp(serviceId, { code: 'EXTRA-100', at: '2026-12-20' }, 'user:1'))).to.have.property('field', 'at');
    expect(await charges.listCharges(accountId)).to.deep.equal([]);
    expect(await charges.listTopUps(serviceId)).to.deep.equal([]);

    // A discount from a billed date would never reduce what was billed; an open one applies from the next invoice.
    const { discounts } = plugin.services.tariffs;
    const goodwill = { serviceId, code: 'GOODWILL', description: 'Goodwill', appliesTo: 'recurring_fee', percent: '10' };
    expect(await refusal(() => discounts.add(accountId, { ...goodwill, fromDate: '2026-12-01' }, 'user:1'))).to.deep.equal({
      field: 'fromDate',
      message: `must be after 2027-01-01: the run for 2027-01-01 has billed service #${serviceId} without it, so it would never reduce what was billed before; start it after 2027-01-01, and give the days before back with a credit note`,
    });
    expect(await discounts.list(accountId)).to.deep.equal([]);
    await discounts.add(accountId, goodwill, 'user:1');

    await charges.addCharge(accountId, { ...install, at: '2027-01-08', serviceId }, 'user:1');
    clock.set('2027-02-01T05:00:00Z');
    await plugin.services.invoicing.billing.run('2027-02', { dryRun: false, by: 'user:1' });
    const { invoices } = plugin.services.invoicing;
    const feb = (await invoices.list({ accountId, periodKey: '2027-02-01' })).rows[0]!;
    const lines = (await invoices.snapshot(feb.id)).document.lines;
    expect(lines.filter((l) => l.kind === 'one_off').map((l) => l.amountMinor)).to.deep.equal([7900n]);
    // February's fee with its 10%.
    expect(lines.filter((l) => l.kind === 'recurring_fee' || l.kind === 'discount').map((l) => l.amountMinor)).to.deep.equal([3100n, -310n]);
  });
});
