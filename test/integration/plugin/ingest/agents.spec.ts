import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom, csrfOf, loggedIn } from '../../../support/web.js';
import { batch, observation, postBatch } from '../usage/fixtures.js';

forEachDatabase('agents page and job leases', (dialect) => {
  let plugin: TestPlugin;
  const clock = new ManualClock('2026-03-02T00:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock });
  });
  after(async () => plugin?.close());

  it('lets an admin create an agent, shows its token once, and the token works on the agent API', async () => {
    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin'));
    const res = await admin.post('/agents').type('form').send({ name: 'pop-east', _csrf: await csrfOf(admin, '/agents') }).expect(200);
    const token = /<code id="agent-token">([^<]+)<\/code>/.exec(res.text)?.[1];
    expect(token).to.match(/^oct_agent_/);
    const again = await admin.get('/agents').expect(200);
    expect(again.text).to.contain('pop-east').and.not.to.contain(token!);
    await postBatch(plugin.app, token!, batch([observation({ observedAt: '2026-03-01T10:00:00Z' })])).expect(200);
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'agent' });
    expect(audit.map((a) => a.action)).to.include('agent.create');
  });

  it('revokes an agent from the page: its token gets 401 from then on', async () => {
    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin', 'admin2@isp.example'));
    const created = await admin.post('/agents').type('form').send({ name: 'pop-west', _csrf: await csrfOf(admin, '/agents') }).expect(200);
    const token = /<code id="agent-token">([^<]+)<\/code>/.exec(created.text)![1]!;
    await admin.post('/agents/pop-west/revoke').type('form').send({ _csrf: csrfFrom(created.text) }).expect(303);
    await postBatch(plugin.app, token, batch([observation({ observedAt: '2026-03-01T10:00:00Z' })])).expect(401);
  });

  it('refuses a revoke without the CSRF token', async () => {
    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin', 'admin3@isp.example'));
    await admin.post('/agents/pop-east/revoke').type('form').send({}).expect(403);
  });

  it('lists quarantined records with their reason on the agents page', async () => {
    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin', 'admin5@isp.example'));
    const created = await admin.post('/agents').type('form').send({ name: 'pop-south', _csrf: await csrfOf(admin, '/agents') }).expect(200);
    const token = /<code id="agent-token">([^<]+)<\/code>/.exec(created.text)![1]!;
    await postBatch(plugin.app, token, batch([{ ...observation({ recordId: 'broken-1' }), login: '' }])).expect(200);
    const page = await admin.get('/agents').expect(200);
    expect(page.text).to.contain('broken-1').and.to.contain('login: ');
  });

  it('keeps the agents page from non-admins', async () => {
    const billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    await billing.get('/agents').expect(403);
  });

  it('refuses a duplicate or malformed agent name with the reason', async () => {
    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin', 'admin4@isp.example'));
    const dup = await admin.post('/agents').type('form').send({ name: 'pop-east', _csrf: await csrfOf(admin, '/agents') }).expect(409);
    expect(dup.text).to.contain('exists already');
    await admin.post('/agents').type('form').send({ name: 'has space', _csrf: await csrfOf(admin, '/agents') }).expect(422);
    await request(plugin.app).get('/agents').expect(303);
  });
});
