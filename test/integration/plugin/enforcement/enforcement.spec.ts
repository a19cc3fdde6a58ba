import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { AGENT_API_PREFIX } from '../../../../plugin/common/wire.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { count, createAgent } from '../usage/fixtures.js';
import { listen, openStream, serviceOn, statusReport } from './helpers.js';

/** Issue 14: suspension and restoration reach the routers through the agent. */
forEachDatabase('enforcement: desired state, the agent API', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let otherToken: string;
  let alice: number;
  let bob: number;
  let carol: number;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const dunning = (detail = 'invoice 2026-0007 is 14 days overdue') => ({ kind: 'dunning' as const, detail, actor: 'system:dunning' });
  const enforcement = () => plugin.services.enforcement;
  const agent = (path: string, t = token) => request(plugin.app).get(`${AGENT_API_PREFIX}${path}`).set('Authorization', `Bearer ${t}`);
  const applied = (items: unknown[], t = token) => request(plugin.app).post(`${AGENT_API_PREFIX}/enforcement/applied`).set('Authorization', `Bearer ${t}`).send({ items });

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock, config: { enforcement: { streamPollSeconds: 0.3, fairUse: { enabled: false } } } });
    token = await createAgent(plugin.ctx, 'pop-north');
    otherToken = await createAgent(plugin.ctx, 'pop-south');
    for (const [t, devices] of [[token, ['bras1', 'nas-a']], [otherToken, ['bras9']]] as const) {
      await request(plugin.app).post(`${AGENT_API_PREFIX}/status`).set('Authorization', `Bearer ${t}`).send(statusReport(clock.now(), [...devices])).expect(204);
    }
    alice = await serviceOn(plugin, 'alice', 'bras1');
    bob = await serviceOn(plugin, 'bob', 'nas-a');
    carol = await serviceOn(plugin, 'carol', 'bras9');
  });
  after(async () => plugin?.close());

  it('suspends a service at version 1, and suspending it again changes nothing: same version, no history, no audit', async () => {
    const first = await enforcement().setDesired({ serviceIds: [alice], desired: 'suspended', cause: dunning() });
    expect(first).to.deep.equal([{ serviceId: alice, version: 1, changed: true }]);
    const events = await count(plugin.ctx, 'enforcement_events');
    const again = await enforcement().setDesired({ serviceIds: [alice, alice], desired: 'suspended', cause: dunning('the next night') });
    expect(again).to.deep.equal([{ serviceId: alice, version: 1, changed: false }]);
    expect(await count(plugin.ctx, 'enforcement_events')).to.equal(events);
    const s = (await enforcement().stateOf([alice, bob])).get(alice)!;
    expect(s).to.deep.include({ desired: 'suspended', rate: null, version: 1, applied: null, appliedVersion: null, error: null, confirmed: false });
    expect(s.cause).to.deep.equal(dunning());
    expect((await enforcement().stateOf([bob])).has(bob)).to.equal(false);
    const audit = await plugin.ctx.models.AuditEntry.findAll({ where: { action: 'enforcement.set', entityId: String(alice) } });
    expect(audit).to.have.length(1);
  });

  it('gives one version to five simultaneous first suspensions of a service', async () => {
    const dave = await serviceOn(plugin, 'dave', 'bras-elsewhere');
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => enforcement().setDesired({ serviceIds: [dave], desired: 'suspended', cause: dunning(`run ${n}`) })));
    expect(results.flat().filter((r) => r.changed)).to.have.length(1);
    expect(results.flat().map((r) => r.version)).to.deep.equal([1, 1, 1, 1, 1]);
    await enforcement().setDesired({ serviceIds: [dave], desired: 'active', cause: dunning('undo') });
  });

  it('keeps its desired state when staff rewrite the service (a CSV re-import cannot lift a suspension)', async () => {
    await plugin.services.subscribers.subscribers.updateService(alice, { status: 'active' }, 'user:1');
    expect((await enforcement().stateOf([alice])).get(alice)?.desired).to.equal('suspended');
  });

  it('throttles with a rate and refuses a throttle without one, or without a reason, naming the field and changing nothing', async () => {
    const fieldsOf = (p: Promise<unknown>) => p.then(() => [], (e: { issues: Array<{ field: string }> }) => e.issues.map((i) => i.field));
    expect(await fieldsOf(enforcement().setDesired({ serviceIds: [bob], desired: 'throttled', cause: dunning() }))).to.deep.equal(['rate']);
    expect(await fieldsOf(enforcement().setDesired({ serviceIds: [bob], desired: 'suspended', cause: { ...dunning(), detail: ' ' } }))).to.deep.equal(['reason']);
    expect((await enforcement().stateOf([bob])).has(bob)).to.equal(false);
    const [r] = await enforcement().setDesired({ serviceIds: [bob], desired: 'throttled', rate: '2M/2M', cause: { kind: 'fair_use', detail: 'cap passed', actor: 'system:fair-use' } });
    expect(r).to.deep.equal({ serviceId: bob, version: 1, changed: true });
  });

  it('rolls back with the caller’s transaction: nothing recorded, nobody woken', async () => {
    let woken = 0;
    const off = enforcement().enforcement.notifier.subscribe(() => woken++);
    await plugin.ctx.db
      .transaction(async (t) => {
        await enforcement().setDesired({ serviceIds: [carol], desired: 'suspended', cause: dunning() }, t);
        throw new Error('the payment failed');
      })
      .catch(() => undefined);
    off();
    expect((await enforcement().stateOf([carol])).has(carol)).to.equal(false);
    expect(woken).to.equal(0);
  });

  it('gives each agent the desired state of the services on its own routers and NASes', async () => {
    await enforcement().setDesired({ serviceIds: [carol], desired: 'suspended', cause: dunning() });
    const north = await agent('/enforcement/desired').expect(200);
    expect(north.body).to.deep.equal({
      version: 1,
      items: [
        { serviceId: alice, login: 'alice', device: 'bras1', desired: 'suspended', rate: null, version: 1 },
        { serviceId: bob, login: 'bob', device: 'nas-a', desired: 'throttled', rate: '2M/2M', version: 1 },
      ],
    });
    const south = await agent('/enforcement/desired', otherToken).expect(200);
    expect(south.body.items.map((i: { login: string }) => i.login)).to.deep.equal(['carol']);
    await request(plugin.app).get(`${AGENT_API_PREFIX}/enforcement/desired`).expect(401);
    await agent('/enforcement/desired', 'oct_agent_wrongwrongwrongwrong').expect(401);
  });

  it('records what the agent applied; an older report after a newer one changes nothing; a failure shows its error', async () => {
    await enforcement().setDesired({ serviceIds: [alice], desired: 'active', cause: { kind: 'payment', detail: 'paid in full', actor: 'system:payments' } });
    const at = '2026-03-02T10:00:05.000Z';
    let res = await applied([{ serviceId: alice, version: 2, device: 'bras1', applied: 'active', rate: null, ok: true, error: null, at }]).expect(200);
    expect(res.body).to.deep.equal({ recorded: 1, stale: 0, rejected: [] });
    res = await applied([{ serviceId: alice, version: 1, device: 'bras1', applied: 'suspended', rate: null, ok: true, error: null, at }]).expect(200);
    expect(res.body).to.deep.equal({ recorded: 0, stale: 1, rejected: [] });
    let s = (await enforcement().stateOf([alice])).get(alice)!;
    expect(s).to.deep.include({ desired: 'active', version: 2, applied: 'active', appliedVersion: 2, error: null, device: 'bras1', confirmed: true });
    res = await applied([{ serviceId: bob, version: 1, device: 'nas-a', applied: 'throttled', rate: '2M/2M', ok: false, error: 'CoA-NAK from nas-a', at }]).expect(200);
    s = (await enforcement().stateOf([bob])).get(bob)!;
    expect(s).to.deep.include({ appliedVersion: 1, error: 'CoA-NAK from nas-a', confirmed: false });
  });

  it("refuses a report about another agent's service, and a malformed report with the bad field, recording nothing", async () => {
    const at = '2026-03-02T10:00:05.000Z';
    const res = await applied([{ serviceId: carol, version: 1, device: 'bras9', applied: 'suspended', rate: null, ok: true, error: null, at }]).expect(200);
    expect(res.body.rejected.map((r: { serviceId: number }) => r.serviceId)).to.deep.equal([carol]);
    expect((await enforcement().stateOf([carol])).get(carol)?.appliedVersion).to.equal(null);
    const bad = await applied([{ serviceId: carol, version: -1 }]).expect(422);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).to.include('items.0.version');
  });

  it('streams a change to the agent within a second over real HTTP, after the snapshot replayed on connect', async () => {
    const server = await listen(plugin.app);
    const stream = await openStream(server.base, token);
    try {
      expect(stream.status).to.equal(200);
      await stream.next((i) => i.serviceId === alice && i.version === 2, 1000);
      const started = Date.now();
      await enforcement().setDesired({ serviceIds: [alice], desired: 'suspended', cause: dunning('second reminder ignored') });
      const item = await stream.next((i) => i.serviceId === alice && i.version === 3, 1000);
      expect(Date.now() - started).to.be.below(1000);
      expect(item).to.deep.equal({ serviceId: alice, login: 'alice', device: 'bras1', desired: 'suspended', rate: null, version: 3 });
      // Another agent's service never reaches this stream.
      await enforcement().setDesired({ serviceIds: [carol], desired: 'active', cause: dunning('paid') });
      await new Promise((r) => setTimeout(r, 400));
      expect(stream.items.some((i) => i.serviceId === carol)).to.equal(false);
    } finally {
      stream.close();
      await server.close();
    }
  });

  it('delivers a change made by another plugin instance (not this process’s notifier) by re-reading the versions', async () => {
    const server = await listen(plugin.app);
    const stream = await openStream(server.base, token);
    try {
      await stream.next((i) => i.serviceId === alice && i.version === 3, 1000);
      // Written straight to the table, as another instance's commit would be: nothing notifies.
      await plugin.ctx.db.sequelize.query("UPDATE enforcement_state SET desired = 'active', version = 4 WHERE service_id = ?", { replacements: [alice] });
      const item = await stream.next((i) => i.serviceId === alice && i.version === 4, 1500);
      expect(item.desired).to.equal('active');
    } finally {
      stream.close();
      await server.close();
    }
  });

  it('ends the stream of an agent whose token is revoked', async () => {
    const eastToken = await createAgent(plugin.ctx, 'pop-east');
    const server = await listen(plugin.app);
    const stream = await openStream(server.base, eastToken);
    try {
      expect(stream.status).to.equal(200);
      await plugin.services.ingest.agents.revoke('pop-east', 'test');
      const ended = await Promise.race([stream.ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 1500))]);
      expect(ended).to.equal(true);
    } finally {
      stream.close();
      await server.close();
    }
  });
});
