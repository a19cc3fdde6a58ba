import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import { buildIngest } from '../../../../plugin/ingest/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom, csrfOf, loggedIn, type Browser } from '../../../support/web.js';

forEachDatabase('subscriber pages: expiring uploads, bounded lists, closed accounts', (dialect) => {
  let plugin: TestPlugin;
  let billing: Browser;
  const clock = new ManualClock('2026-03-01T08:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock, config: { billing: { currency: 'EUR', timezone: 'UTC' } } });
    billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
  });
  after(async () => plugin?.close());

  it('refuses to confirm an import previewed more than a day ago, and imports nothing', async () => {
    const preview = await billing
      .post('/import/accounts/preview')
      .field('_csrf', await csrfOf(billing, '/import/accounts'))
      .attach('file', Buffer.from('external_id,name\nOLD-1,Stale Upload\n', 'utf8'), 'stale.csv')
      .expect(200);
    const token = /name="token" value="([^"]+)"/.exec(preview.text)![1]!;
    clock.advance(25 * 3600_000);
    const res = await billing.post('/import/accounts/confirm').type('form').send({ _csrf: csrfFrom(preview.text), token }).expect(410);
    expect(res.text).to.contain('older than a day');
    expect(await plugin.ctx.models.Account.count({ where: { externalId: 'OLD-1' } })).to.equal(0);
  });

  it('names the required import columns each as code, with no markup shown as text', async () => {
    const page = await billing.get('/import/accounts').expect(200);
    expect(page.text).to.contain('Required: <code>external_id</code>, <code>name</code>.');
    expect(page.text).not.to.contain('&lt;/code&gt;');
  });

  it('lists the first 1,000 unclaimed logins by name and says there are more', async () => {
    const ingest = buildIngest(plugin.ctx);
    const { info: agent } = await ingest.agents.create('pop-many', 'test');
    const entries = Array.from({ length: 1005 }, (_, i) => ({ kind: 'ppp' as const, name: `many-${String(i).padStart(4, '0')}`, profile: '', disabled: false, comment: '' }));
    await ingest.inventory.store(agent, { routerName: 'rtr-many', takenAt: clock.now().toISOString(), entries });
    const page = await billing.get('/inventory/unclaimed').expect(200);
    expect(page.text.match(/name="logins"/g)).to.have.length(1000);
    expect(page.text).to.contain('value="many-0999"').and.not.to.contain('value="many-1000"');
    expect(page.text).to.contain('Showing the first 1000 logins by name; there are more.');
  });

  it('offers no "Add service" on a closed account, and the service refuses one too', async () => {
    const parts = buildSubscribers(plugin.ctx);
    const a = await parts.subscribers.createAccount({ name: 'Closed Customer', status: 'closed' }, 'test');
    const page = await billing.get(`/accounts/${a.id}`).expect(200);
    expect(page.text).to.contain('Edit account').and.not.to.contain('Add service');
    const res = await billing.post(`/accounts/${a.id}/services`).type('form').send({ _csrf: csrfFrom(page.text), login: 'closed-login' }).expect(422);
    expect(res.text).to.contain('is closed; reopen it before adding services');
  });
});
