import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, loggedIn } from '../../../support/web.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';

forEachDatabase('usage API and pages', (dialect) => {
  let plugin: TestPlugin;
  let auth: { Authorization: string };
  let accountId: number;
  let serviceId: number;
  const big = 5n * (1n << 53n); // past what a JSON number holds exactly

  before(async () => {
    plugin = await createTestPlugin(dialect, {
      modules: [ingestModule, usageModule],
      clock: new ManualClock('2026-03-30T12:00:00Z'),
      config: { billing: { timezone: 'Europe/Berlin', currency: 'EUR' } },
    });
    const token = await createAgent(plugin.ctx);
    ({ accountId, serviceId } = await createService(plugin.ctx, 'alice'));
    const rec = (iso: string, d: bigint) => observation({ login: 'alice', sessionId: 'A', observedAt: iso, downloadOctets: d.toString(), uploadOctets: (d / 4n).toString() });
    // Zero at 23:00 UTC on the 28th (local midnight of the 29th), `big` by 22:00 UTC on the 29th (local midnight of the 30th).
    await postBatch(plugin.app, token, batch([rec('2026-03-28T23:00:00Z', 0n), rec('2026-03-29T22:00:00Z', big), observation({ login: 'nobody', sessionId: 'N', observedAt: '2026-03-29T10:00:00Z', downloadOctets: '99', uploadOctets: '1' })])).expect(200);
    await buildUsage(plugin.ctx).rollup.rollupPending();
    const staff = await plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test');
    auth = { Authorization: `Bearer ${staff.token}` };
  });
  after(async () => plugin?.close());

  it('returns an account\'s usage for a period as decimal strings, per service and per local day', async () => {
    const res = await request(plugin.app).get(`/api/v1/accounts/${accountId}/usage?from=2026-03-29&to=2026-03-31`).set(auth).expect(200);
    expectValidResponse(res);
    expect(res.body).to.deep.include({ accountId, download: big.toString(), upload: (big / 4n).toString(), timezone: 'Europe/Berlin' });
    expect(res.body.from).to.equal('2026-03-28T23:00:00.000Z');
    expect(res.body.services).to.deep.equal([{ serviceId, login: 'alice', download: big.toString(), upload: (big / 4n).toString() }]);
    expect(res.body.days).to.deep.equal([
      { date: '2026-03-29', hours: 23, download: big.toString(), upload: (big / 4n).toString() },
      { date: '2026-03-30', hours: 24, download: '0', upload: '0' },
    ]);
  });

  it('breaks usage down per UTC hour on request, the hours adding up to the total', async () => {
    const res = await request(plugin.app).get(`/api/v1/accounts/${accountId}/usage?from=2026-03-29&to=2026-03-30&granularity=hour`).set(auth).expect(200);
    expectValidResponse(res);
    expect(res.body.hours).to.have.length(23);
    expect(res.body.hours.reduce((a: bigint, h: { download: string }) => a + BigInt(h.download), 0n)).to.equal(big);
  });

  it('answers 404 for an unknown account and 422 for a bad period, naming the field', async () => {
    expectValidResponse(await request(plugin.app).get('/api/v1/accounts/999999/usage?from=2026-03-01&to=2026-04-01').set(auth).expect(404));
    const res = await request(plugin.app).get(`/api/v1/accounts/${accountId}/usage?from=2026-03-01`).set(auth).expect(422);
    expectValidResponse(res);
    expect(res.body.error.issues[0].field).to.equal('to');
  });

  it('answers 401 without a staff token', async () => {
    expectValidResponse(await request(plugin.app).get(`/api/v1/accounts/${accountId}/usage?from=2026-03-01&to=2026-04-01`).expect(401));
  });

  it('shows top users, live sessions and unassigned usage to staff', async () => {
    const browser = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const top = await browser.get('/usage?from=2026-03-29&to=2026-03-30').expect(200);
    expect(top.text).to.contain('alice').and.to.contain('Customer alice').and.to.contain('(unassigned)');
    const unassigned = await browser.get('/usage/unassigned').expect(200);
    expect(unassigned.text).to.contain('nobody');
    await browser.get('/usage/live').expect(200);
  });
});
