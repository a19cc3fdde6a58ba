import { expect } from 'chai';
import request from 'supertest';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createAgent } from '../usage/fixtures.js';

forEachDatabase('REST API: tokens it refuses and bad requests', (dialect) => {
  let plugin: TestPlugin;
  let auth: { Authorization: string };

  before(async () => {
    plugin = await createTestPlugin(dialect);
    const { token } = await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test');
    auth = { Authorization: `Bearer ${token}` };
  });
  after(async () => plugin?.close());

  it('refuses an agent token with 401: the REST API takes staff API tokens only', async () => {
    const agentToken = await createAgent(plugin.ctx, 'pop-rest');
    await request(plugin.app).get('/api/v1/me').set('Authorization', `Bearer ${agentToken}`).expect(401);
    await request(plugin.app).post('/api/v1/accounts').set('Authorization', `Bearer ${agentToken}`).send({ name: 'Via Agent' }).expect(401);
    expect(await plugin.ctx.models.Account.count({ where: { name: 'Via Agent' } })).to.equal(0);
  });

  it('answers an anonymous request with 401 before reading its body', async () => {
    const res = await request(plugin.app).post('/api/v1/accounts').set('Content-Type', 'application/json').send('{not json').expect(401);
    expect(res.body.error.message).to.contain('missing bearer token');
  });

  it('answers a body in an unsupported charset with 415 and a message, not a 500', async () => {
    const res = await request(plugin.app).post('/api/v1/accounts').set(auth).set('Content-Type', 'application/json; charset=latin1').send('{"name":"x"}').expect(415);
    expect(res.body).to.deep.equal({ error: { message: 'unsupported charset in Content-Type (use UTF-8)', issues: [] } });
  });

  it('answers a body with an unknown Content-Encoding with 415, not a 500', async () => {
    const res = await request(plugin.app).post('/api/v1/accounts').set(auth).set('Content-Type', 'application/json').set('Content-Encoding', 'snappy').send('{"name":"x"}').expect(415);
    expect(res.body.error.message).to.equal('unsupported Content-Encoding');
  });

  it('answers a path with broken percent-encoding with 400, not a 500', async () => {
    const res = await request(plugin.app).get('/api/v1/accounts/%E0%A4%A').set(auth).expect(400);
    expect(res.body.error.message).to.contain('percent-encoding');
  });
});
