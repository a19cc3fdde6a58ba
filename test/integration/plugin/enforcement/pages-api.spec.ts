import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn } from '../../../support/web.js';
import { AGENT_API_PREFIX } from '../../../../plugin/common/wire.js';
import { createAgent } from '../usage/fixtures.js';
import { serviceOn, statusReport } from './helpers.js';

/** Issue 14: staff see who is cut off and why, and suspend or restore by hand. */
forEachDatabase('enforcement pages and API', (dialect) => {
  let plugin: TestPlugin;
  let alice: number;
  let bob: number;
  let billingAuth: { Authorization: string };
  let readonlyAuth: { Authorization: string };
  const clock = new ManualClock('2026-03-02T10:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock, config: { enforcement: { fairUse: { enabled: false } } } });
    alice = await serviceOn(plugin, 'alice<b>', 'bras1');
    bob = await serviceOn(plugin, 'bob', 'bras1');
    billingAuth = { Authorization: `Bearer ${(await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test')).token}` };
    readonlyAuth = { Authorization: `Bearer ${(await plugin.ctx.services.auth.createApiToken({ name: 'noc', role: 'readonly' }, 'test')).token}` };
  });
  after(async () => plugin?.close());

  it('suspends a service through the API with a reason, idempotently, and lists it as pending', async () => {
    let res = await request(plugin.app).post(`/api/v1/services/${alice}/enforcement`).set(billingAuth).send({ desired: 'suspended', reason: 'fraud report #42' }).expect(200);
    expectValidResponse(res);
    expect(res.body).to.deep.include({ serviceId: alice, login: 'alice<b>', device: 'bras1', desired: 'suspended', version: 1, changed: true, confirmed: false });
    expect(res.body.cause).to.deep.include({ kind: 'staff', detail: 'fraud report #42' });
    res = await request(plugin.app).post(`/api/v1/services/${alice}/enforcement`).set(billingAuth).send({ desired: 'suspended', reason: 'again' }).expect(200);
    expect(res.body).to.deep.include({ version: 1, changed: false });
    res = await request(plugin.app).get('/api/v1/enforcement').set(readonlyAuth).expect(200);
    expectValidResponse(res);
    expect(res.body.items.map((i: { serviceId: number; desired: string }) => [i.serviceId, i.desired])).to.deep.equal([[alice, 'suspended']]);
    res = await request(plugin.app).get('/api/v1/enforcement?state=throttled').set(readonlyAuth).expect(200);
    expect(res.body.items).to.deep.equal([]);
  });

  it('refuses a readonly token, an unknown service, a bad state and a throttle without rate, changing nothing', async () => {
    let res = await request(plugin.app).post(`/api/v1/services/${bob}/enforcement`).set(readonlyAuth).send({ desired: 'suspended', reason: 'x' }).expect(403);
    expectValidResponse(res);
    res = await request(plugin.app).post('/api/v1/services/99999/enforcement').set(billingAuth).send({ desired: 'suspended', reason: 'x' }).expect(404);
    expectValidResponse(res);
    res = await request(plugin.app).post(`/api/v1/services/${bob}/enforcement`).set(billingAuth).send({ desired: 'cut', reason: 'x' }).expect(422);
    expectValidResponse(res);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['desired']);
    res = await request(plugin.app).post(`/api/v1/services/${bob}/enforcement`).set(billingAuth).send({ desired: 'throttled', reason: 'slow down' }).expect(422);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).to.deep.equal(['rate']);
    res = await request(plugin.app).get('/api/v1/enforcement?state=gone').set(readonlyAuth).expect(422);
    expectValidResponse(res);
    expect((await plugin.services.enforcement.stateOf([bob])).has(bob)).to.equal(false);
  });

  it('shows readonly staff who is suspended, why, by whom and whether the router confirmed it, escaped, without the form', async () => {
    const browser = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const html = (await browser.get('/enforcement').expect(200)).text;
    expect(html).to.include('alice&lt;b&gt;').and.not.include('alice<b>');
    expect(html).to.match(new RegExp(`data-service="${alice}"[\\s\\S]*bras1[\\s\\S]*suspended[\\s\\S]*staff: fraud report #42[\\s\\S]*token:[\\s\\S]*pending \\(version – of 1\\)`));
    expect(html).to.not.include('name="reason"');
    const csrf = await csrfOf(browser, '/enforcement');
    await browser.post('/enforcement').type('form').send({ _csrf: csrf, serviceId: String(bob), desired: 'suspended', reason: 'x' }).expect(403);
    expect((await plugin.services.enforcement.stateOf([bob])).has(bob)).to.equal(false);
  });

  it('lets billing staff restore a service with a reason; a post without the CSRF token or reason changes nothing', async () => {
    const browser = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    await browser.post('/enforcement').type('form').send({ serviceId: String(alice), desired: 'active', reason: 'cleared' }).expect(403);
    const csrf = await csrfOf(browser, '/enforcement');
    const bad = await browser.post('/enforcement').type('form').send({ _csrf: csrf, serviceId: String(alice), desired: 'active', reason: '' }).expect(422);
    expect(bad.text).to.include('reason: say why');
    expect(bad.text).to.include(`value="${alice}"`);
    expect((await plugin.services.enforcement.stateOf([alice])).get(alice)?.desired).to.equal('suspended');
    await browser.post('/enforcement').type('form').send({ _csrf: csrf, serviceId: String(alice), desired: 'active', reason: 'fraud report withdrawn' }).expect(303);
    const s = (await plugin.services.enforcement.stateOf([alice])).get(alice)!;
    expect(s).to.deep.include({ desired: 'active', version: 2 });
    expect(s.cause.actor).to.match(/^user:\d+$/);
    // Until the agent confirms it, the restore waits on its router.
    let html = (await browser.get('/enforcement').expect(200)).text;
    expect(html).to.include('Every service is active.');
    expect(html).to.match(/<tr class="attention" data-device="bras1"><td data-label="Router \/ NAS">bras1<\/td><td class="num" data-label="Pending">1<\/td><td class="num" data-label="Failed">0<\/td><\/tr>/);
    const token = await createAgent(plugin.ctx, 'pop-north');
    await request(plugin.app).post(`${AGENT_API_PREFIX}/status`).set('Authorization', `Bearer ${token}`).send(statusReport(clock.now(), ['bras1'])).expect(204);
    await request(plugin.app)
      .post(`${AGENT_API_PREFIX}/enforcement/applied`)
      .set('Authorization', `Bearer ${token}`)
      .send({ items: [{ serviceId: alice, version: 2, device: 'bras1', applied: 'active', rate: null, ok: true, error: null, at: clock.now().toISOString() }] })
      .expect((r) => expect(r.status).to.be.within(200, 204));
    html = (await browser.get('/enforcement').expect(200)).text;
    expect(html).to.include('Every service is active.');
    expect(html).not.to.include('data-device=');
  });
});
