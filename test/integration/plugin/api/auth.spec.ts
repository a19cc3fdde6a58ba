import { expect } from 'chai';
import request from 'supertest';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

forEachDatabase('REST API authentication', (dialect) => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [] });
  });
  after(async () => plugin?.close());

  it('answers 401 with a JSON error when the bearer token is missing', async () => {
    const res = await request(plugin.app).get('/api/v1/me').expect(401);
    expect(res.body).to.deep.equal({ error: { message: 'missing bearer token (Authorization: Bearer <token>)', issues: [] } });
  });

  it('answers 401 for an unknown token', async () => {
    await request(plugin.app).get('/api/v1/me').set('Authorization', 'Bearer oct_api_nope').expect(401);
  });

  it('accepts a token created by an admin, shows its role, and records its use', async () => {
    const { token, info } = await plugin.ctx.services.auth.createApiToken({ name: 'crm sync', role: 'billing' }, 'test');
    expect(token).to.match(/^oct_api_/);
    const res = await request(plugin.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body.token).to.include({ id: info.id, name: 'crm sync', role: 'billing' });
    const stored = await plugin.ctx.repos.tokens.list();
    expect(JSON.stringify(stored)).not.to.contain(token);
  });

  it('refuses a revoked token', async () => {
    const { token, info } = await plugin.ctx.services.auth.createApiToken({ name: 'old', role: 'readonly' }, 'test');
    await plugin.ctx.repos.tokens.revoke(info.id, plugin.clock.now());
    await request(plugin.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('answers 404 in JSON for an unknown endpoint, after authentication', async () => {
    const { token } = await plugin.ctx.services.auth.createApiToken({ name: 'x', role: 'readonly' }, 'test');
    const res = await request(plugin.app).get('/api/v1/nothing-here').set('Authorization', `Bearer ${token}`).expect(404);
    expect(res.body.error.message).to.equal('no such endpoint');
  });

  it('reports health: database ok, and ready', async () => {
    expect((await request(plugin.app).get('/healthz').expect(200)).body).to.deep.equal({ status: 'ok', database: 'ok' });
    expect((await request(plugin.app).get('/readyz').expect(200)).body).to.deep.equal({ status: 'ready' });
  });
});
