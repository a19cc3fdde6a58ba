import { expect } from 'chai';
import request from 'supertest';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../support/web.js';
import { Receiver } from './receiver.js';

forEachDatabase('webhooks out: pages and REST API', (dialect) => {
  let plugin: TestPlugin;
  let admin: Browser;
  let readonly: Browser;
  let adminToken: string;
  let readonlyToken: string;
  let receiver: Receiver;

  /** Every response is checked against plugin/api/openapi.yaml. */
  async function call(method: 'get' | 'post' | 'patch' | 'delete', path: string, token: string | null, body?: unknown) {
    let r = request(plugin.app)[method](path);
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    const res = body === undefined ? await r : await r.send(body as object);
    return expectValidResponse(res);
  }
  const payment = (reference: string, accountId: number) =>
    plugin.services.payments.record({ accountId, amountMinor: 2500n, currency: 'EUR', method: 'bank_transfer', reference, receivedAt: plugin.clock.now(), source: 'manual', externalId: null }, 'user:1');

  before(async function () {
    this.timeout(90_000);
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR' } } });
    admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin'));
    readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    adminToken = (await plugin.ctx.services.auth.createApiToken({ name: 'ops', role: 'admin' }, 'test')).token;
    readonlyToken = (await plugin.ctx.services.auth.createApiToken({ name: 'bi', role: 'readonly' }, 'test')).token;
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver?.stop();
    await plugin?.close();
  });

  it('lets an admin add an endpoint on the page, shows its secret once, and never again', async () => {
    const created = await admin.post('/webhooks').type('form').send({ _csrf: await csrfOf(admin, '/webhooks'), url: receiver.url, events: ['payment.received', 'invoice.issued'], description: 'CRM <sync>' }).expect(200);
    const secret = /<code id="new-secret">(whsec_[A-Za-z0-9_-]+)<\/code>/.exec(created.text)?.[1];
    expect(secret).to.be.a('string');
    receiver.secret = secret!;
    const again = await admin.get('/webhooks').expect(200);
    expect(again.text).not.to.contain(secret!);
    expect(again.text).to.contain(`${secret!.slice(0, 12)}…`);
    expect(again.text).to.contain('CRM &lt;sync&gt;').and.to.contain('payment.received, invoice.issued');
    const audit = await plugin.ctx.repos.audit.list({ limit: 20 });
    expect(JSON.stringify(audit)).not.to.contain(secret!);
  });

  it('names the bad field of an endpoint the page refuses, and adds nothing', async () => {
    const before = (await plugin.services.webhooks.service.endpoints()).length;
    const res = await admin.post('/webhooks').type('form').send({ _csrf: await csrfOf(admin, '/webhooks'), url: 'ftp://files.example', events: 'invoice.paid' }).expect(422);
    expect(res.text).to.contain('url: must be an http:// or https:// address').and.to.contain('events: unknown event invoice.paid');
    expect(await plugin.services.webhooks.service.endpoints()).to.have.length(before);
  });

  it('shows read-only staff the endpoints and the log without forms, and refuses their changes', async () => {
    await payment('for the log', (await plugin.services.subscribers.subscribers.createAccount({ name: 'Log Payer', currency: 'EUR' }, 'test')).id);
    await plugin.services.webhooks.worker.runOnce();
    const page = await readonly.get('/webhooks').expect(200);
    expect(page.text).to.contain('payment.received').and.to.contain('delivered');
    expect(page.text).not.to.contain('id="new-endpoint"').and.not.to.contain('>Replay<');
    const csrf = await csrfOf(readonly, '/');
    await readonly.post('/webhooks').type('form').send({ _csrf: csrf, url: receiver.url, events: '*' }).expect(403);
    const [d] = (await plugin.services.webhooks.service.deliveries({}, { limit: 1, offset: 0 })).rows;
    await readonly.post(`/webhooks/deliveries/${d!.id}/replay`).type('form').send({ _csrf: csrf }).expect(403);
  });

  it('filters the delivery log and replays a delivery from the page, behind CSRF', async () => {
    const [d] = (await plugin.services.webhooks.service.deliveries({ status: 'delivered' }, { limit: 1, offset: 0 })).rows;
    const filtered = await admin.get(`/webhooks?status=dead`).expect(200);
    expect(filtered.text).not.to.contain(`id="delivery-${d!.id}"`);
    const byEvent = await admin.get(`/webhooks?event=${d!.eventId}&type=payment.received`).expect(200);
    expect(byEvent.text).to.contain(`id="delivery-${d!.id}"`);
    await admin.post(`/webhooks/deliveries/${d!.id}/replay`).type('form').send({}).expect(403);
    const replayed = await admin.post(`/webhooks/deliveries/${d!.id}/replay`).type('form').send({ _csrf: await csrfOf(admin, '/webhooks') }).expect(303);
    expect(replayed.headers.location).to.equal(`/webhooks?event=${d!.eventId}`);
    const before = receiver.received.length;
    await plugin.services.webhooks.worker.runOnce();
    expect(receiver.received.slice(before).map((r) => [r.json.id, r.signatureValid])).to.deep.equal([[d!.eventId, true]]);
  });

  it('lists, reads, changes and removes endpoints over the API, the secret only in the answer that made it', async () => {
    expect((await call('get', '/api/v1/webhooks', null)).status).to.equal(401);
    expect((await call('post', '/api/v1/webhooks', readonlyToken, { url: receiver.url, events: ['*'] })).status).to.equal(403);
    const made = await call('post', '/api/v1/webhooks', adminToken, { url: receiver.url, events: ['account.suspended', 'account.restored'], description: 'NOC' });
    expect(made.status).to.equal(201);
    expect(made.body.secret).to.match(/^whsec_/);
    const id = made.body.endpoint.id as number;
    const list = await call('get', '/api/v1/webhooks', readonlyToken);
    expect(list.status).to.equal(200);
    expect(JSON.stringify(list.body)).not.to.contain(made.body.secret);
    expect(list.body.endpoints.map((e: { id: number }) => e.id)).to.include(id);
    const got = await call('get', `/api/v1/webhooks/${id}`, readonlyToken);
    expect(got.body.endpoint).to.include({ url: receiver.url, active: true, description: 'NOC' });
    const paused = await call('patch', `/api/v1/webhooks/${id}`, adminToken, { active: false });
    expect([paused.status, paused.body.endpoint.active, paused.body.endpoint.events]).to.deep.equal([200, false, ['account.suspended', 'account.restored']]);
    const bad = await call('patch', `/api/v1/webhooks/${id}`, adminToken, { events: ['everything'] });
    expect([bad.status, bad.body.error.issues[0].field]).to.deep.equal([422, 'events']);
    expect((await call('get', '/api/v1/webhooks/99999', readonlyToken)).status).to.equal(404);
    expect((await call('delete', `/api/v1/webhooks/${id}`, readonlyToken)).status).to.equal(403);
    expect((await call('delete', `/api/v1/webhooks/${id}`, adminToken)).status).to.equal(204);
    expect((await call('get', `/api/v1/webhooks/${id}`, readonlyToken)).status).to.equal(404);
  });

  it('lists deliveries over the API with filters, and replays one with an admin token', async () => {
    const all = await call('get', '/api/v1/webhooks/deliveries?type=payment.received&status=delivered&limit=10', readonlyToken);
    expect(all.status).to.equal(200);
    expect(all.body.total).to.be.at.least(2);
    expect(all.body.deliveries.every((d: { type: string; status: string }) => d.type === 'payment.received' && d.status === 'delivered')).to.equal(true);
    const first = all.body.deliveries[0] as { id: string; eventId: string };
    expect((await call('post', `/api/v1/webhooks/deliveries/${first.id}/replay`, readonlyToken)).status).to.equal(403);
    const replay = await call('post', `/api/v1/webhooks/deliveries/${first.id}/replay`, adminToken);
    expect([replay.status, replay.body.delivery.eventId, replay.body.delivery.status]).to.deep.equal([202, first.eventId, 'pending']);
    expect(replay.body.delivery.createdBy).to.match(/^api:\d+$/);
    expect((await call('post', '/api/v1/webhooks/deliveries/424242/replay', adminToken)).status).to.equal(404);
    const byEvent = await call('get', `/api/v1/webhooks/deliveries?event=${first.eventId}`, readonlyToken);
    expect(byEvent.body.deliveries.map((d: { eventId: string }) => d.eventId)).to.deep.equal(new Array(byEvent.body.total).fill(first.eventId));
  });
});
