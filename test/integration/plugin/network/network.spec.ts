import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { AGENT_API_PREFIX, type AgentStatusReport } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { createCompletenessProvider, networkModule } from '../../../../plugin/network/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, loggedIn } from '../../../support/web.js';
import { createAgent } from '../usage/fixtures.js';

/** Issue 12, item 24: network engineers look for their routers in the panel. */
forEachDatabase('network status from the agents', (dialect) => {
  let plugin: TestPlugin;
  let agentToken: string;
  let auth: { Authorization: string };
  const clock = new ManualClock('2026-03-02T10:00:00Z');

  const report = (over: Partial<AgentStatusReport> = {}): AgentStatusReport => ({
    takenAt: clock.now().toISOString(),
    version: '0.1.0',
    spool: { depth: 12, bytes: 4096, maxBytes: 1 << 30, lagSeconds: 3 },
    shipping: { lastAckAt: '2026-03-02T09:59:58.000Z', lastError: null },
    sources: [
      { kind: 'router', name: 'bras1', up: true, reason: null, lastSeenAt: '2026-03-02T09:59:30.000Z', sessions: 812, errors: 0, completeThrough: '2026-03-02T09:58:30.000Z' },
      { kind: 'router', name: 'bras<2>', up: false, reason: 'login: invalid user name or password (6)', lastSeenAt: null, sessions: null, errors: 7, completeThrough: null },
    ],
    ...over,
  });
  const post = (body: unknown, token: string | null = agentToken) => {
    const r = request(plugin.app).post(`${AGENT_API_PREFIX}/status`);
    return (token ? r.set('Authorization', `Bearer ${token}`) : r).send(body as object);
  };

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [networkModule, ingestModule], clock });
    agentToken = await createAgent(plugin.ctx, 'pop-north');
    const api = await plugin.ctx.services.auth.createApiToken({ name: 'noc', role: 'readonly' }, 'test');
    auth = { Authorization: `Bearer ${api.token}` };
  });
  after(async () => plugin?.close());

  it('shows a router with a wrong password as down, with why, in the REST API', async () => {
    await post(report()).expect(204);
    await post(report()).expect(204); // the next report replaces the last
    const res = await request(plugin.app).get('/api/v1/network').set(auth).expect(200);
    expectValidResponse(res);
    expect(res.body.sources.map((s: { name: string; state: string }) => [s.name, s.state])).to.deep.equal([
      ['bras1', 'up'],
      ['bras<2>', 'down'],
    ]);
    expect(res.body.sources[1].reason).to.equal('login: invalid user name or password (6)');
    expect(res.body.agents).to.have.length(1);
    expect(res.body.agents[0]).to.include({ name: 'pop-north', spoolDepth: 12, shippingLagSeconds: 3, version: '0.1.0', stale: false });
    expect(res.body.attention).to.equal(1);
  });

  it('marks a router silent past network.silentAfterMinutes, and everything unknown when the agent stops reporting', async () => {
    await post(report()).expect(204);
    clock.advance(16 * 60_000);
    let res = await request(plugin.app).get('/api/v1/network').set(auth).expect(200);
    expect(res.body.agents[0].stale).to.equal(true);
    expect(res.body.sources.map((s: { state: string }) => s.state)).to.deep.equal(['unknown', 'unknown']);
    await post(report()).expect(204);
    res = await request(plugin.app).get('/api/v1/network').set(auth).expect(200);
    expect(res.body.sources.map((s: { state: string }) => s.state)).to.deep.equal(['silent', 'down']);
    clock.set('2026-03-02T10:00:00Z');
  });

  it('tells the billing read port how far each source is complete', async () => {
    await post(report()).expect(204);
    const sources = await createCompletenessProvider(plugin.ctx).sources();
    expect(sources).to.deep.equal([
      { agentName: 'pop-north', source: 'poll', sourceName: 'bras1', completeThrough: new Date('2026-03-02T09:58:30.000Z') },
      { agentName: 'pop-north', source: 'poll', sourceName: 'bras<2>', completeThrough: null },
    ]);
  });

  it('gives billing, through the read port the composition root built, the sources and no final period while one source never reported', async () => {
    await post(report()).expect(204);
    const c = await plugin.services.billingUsage.completeness(Date.parse('2026-03-02T09:00:00Z'));
    expect(c.sources.map((s) => [s.sourceName, s.completeThrough?.toISOString() ?? null])).to.deep.equal([
      ['bras1', '2026-03-02T09:58:30.000Z'],
      ['bras<2>', null],
    ]);
    expect(c.completeThrough).to.equal(null);
    expect(c.final).to.equal(false);
  });

  it('refuses a report without the agent token, and names the bad field of a malformed one', async () => {
    await post(report(), null).expect(401);
    await post(report(), 'oct_agent_wrongwrongwrongwrong').expect(401);
    const res = await post({ ...report(), spool: { depth: -1 } }).expect(422);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.include('spool.depth');
  });

  it('lists routers on the Network page for a readonly user, escaped, and points at them from the dashboard', async () => {
    await post(report()).expect(204);
    const browser = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const html = (await browser.get('/network').expect(200)).text;
    expect(html).to.include('bras&lt;2&gt;');
    expect(html).to.not.include('bras<2>');
    expect(html).to.include('invalid user name or password');
    const dashboard = (await browser.get('/').expect(200)).text;
    expect(dashboard).to.match(/id="network-attention"[\s\S]*1 router, NAS or agent needs attention/);
    const anonymous = await request(plugin.app).get('/network');
    expect(anonymous.status).to.be.oneOf([302, 303]);
    expect(anonymous.headers.location).to.match(/login/);
  });
});
