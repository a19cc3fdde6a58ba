import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../support/web.js';
import { FRIDAY, overdueCustomer, TOTAL } from './helpers.js';

forEachDatabase('dunning pages', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let readonly: Browser;
  let customer: Awaited<ReturnType<typeof overdueCustomer>>;

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock(FRIDAY), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    customer = await overdueCustomer(plugin, '<b>evil</b>');
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
  });
  after(async () => plugin?.close());

  it('shows read-only staff who would be suspended and why, without the run button, and refuses their run', async () => {
    const page = await readonly.get('/dunning').expect(200);
    expect(page.text).to.contain(`overdue 33 days (${customer.invoice.number}): suspend`);
    expect(page.text).to.contain('Customer &lt;b&gt;evil&lt;/b&gt;').and.not.to.contain('<b>evil</b>');
    expect(page.text).not.to.contain('id="run-dunning"');
    await readonly.post('/dunning/run').type('form').send({ _csrf: await csrfOf(readonly, '/dunning') }).expect(403);
    expect((await plugin.services.enforcement.stateOf([customer.serviceId])).size).to.equal(0);
  });

  it('lets billing staff run it now, which suspends the account', async () => {
    const res = await billing.post('/dunning/run').type('form').send({ _csrf: await csrfOf(billing, '/dunning') }).expect(200);
    expect(res.text).to.contain('1 suspended, 0 restored');
    expect((await plugin.services.enforcement.stateOf([customer.serviceId])).get(customer.serviceId)?.desired).to.equal('suspended');
  });

  it('refuses a form without the CSRF token', async () => {
    await billing.post('/dunning/run').type('form').send({}).expect(403);
  });

  it('lists the account to call, takes notes and promises, and names the field of a bad date', async () => {
    const list = await readonly.get('/dunning/follow-up').expect(200);
    expect(list.text).to.contain(`id="account-${customer.accountId}"`).and.to.contain('99.25 EUR').and.to.contain('suspended by dunning');
    const csrf = await csrfOf(billing, '/dunning/follow-up');
    await billing.post(`/dunning/accounts/${customer.accountId}/notes`).type('form').send({ _csrf: csrf, note: 'Left a voicemail' }).expect(303);
    const bad = await billing.post(`/dunning/accounts/${customer.accountId}/promise`).type('form').send({ _csrf: csrf, until: '2026-02-30x' }).expect(422);
    expect(bad.text).to.contain('until: must be a date YYYY-MM-DD');
    await billing.post(`/dunning/accounts/${customer.accountId}/promise`).type('form').send({ _csrf: csrf, until: '2026-03-25', note: 'payday' }).expect(303);
    const after = await readonly.get('/dunning/follow-up').expect(200);
    expect(after.text).to.contain('Left a voicemail').and.to.contain('promised to pay by 2026-03-25: payday');
    expect(after.text).not.to.contain(`action="/dunning/accounts/${customer.accountId}/notes"`);
    await readonly.post(`/dunning/accounts/${customer.accountId}/notes`).type('form').send({ _csrf: await csrfOf(readonly, '/dunning/follow-up'), note: 'x' }).expect(403);
  });

  it('shows the aging report and exports it as CSV', async () => {
    const page = await readonly.get('/dunning/aging').expect(200);
    expect(page.text).to.contain('31-60 days').and.to.contain('99.25 EUR');
    const csv = await readonly.get('/dunning/aging.csv').expect(200).expect('Content-Type', /text\/csv/);
    expect(csv.text).to.contain(`${customer.accountId},Customer <b>evil</b>,EUR,0.00,0.00,${(Number(TOTAL) / 100).toFixed(2)},0.00,0.00,99.25\r\n`);
  });
});

forEachDatabase('dunning pages where the host platform blocks (Splynx, dunning: splynx)', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  let customer: Awaited<ReturnType<typeof overdueCustomer>>;

  before(async () => {
    const host = { kind: 'splynx' as const, splynx: { url: 'http://127.0.0.1:9/', apiKey: 'key', apiSecret: 'secret', dunning: 'splynx' as const } };
    plugin = await createTestPlugin(dialect, { clock: new ManualClock(FRIDAY), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' }, host } as never });
    customer = await overdueCustomer(plugin, 'hosted');
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
  });
  after(async () => plugin?.close());

  it('previews who is overdue, says the host blocks, offers no run button and refuses a run (409), suspending nobody', async () => {
    const page = await billing.get('/dunning').expect(200);
    expect(page.text).to.contain(`overdue 33 days (${customer.invoice.number}): suspend`);
    expect(page.text).to.contain("splynx blocks overdue customers here, so Octet&#39;s dunning only previews");
    expect(page.text).not.to.contain('id="run-dunning"');
    await billing.post('/dunning/run').type('form').send({ _csrf: await csrfOf(billing, '/dunning') }).expect(409);
    expect((await plugin.services.enforcement.stateOf([customer.serviceId])).size).to.equal(0);
  });
});
