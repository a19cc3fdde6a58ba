import { expect } from 'chai';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn, type Browser } from '../../../support/web.js';

forEachDatabase('admin shell: answers to bad requests, caching, token revocation', (dialect) => {
  let plugin: TestPlugin;
  let admin: Browser;
  let adminEmail: string;

  before(async () => {
    plugin = await createTestPlugin(dialect);
    const creds = await createStaff(plugin.ctx, 'admin');
    adminEmail = creds.email;
    admin = await loggedIn(plugin.app, creds);
  });
  after(async () => plugin?.close());

  it('answers a form over the 1 MB limit with 413 and says what was wrong, not a server error', async () => {
    const _csrf = await csrfOf(admin, '/accounts/new');
    const res = await admin.post('/accounts').type('form').send({ _csrf, name: 'x'.repeat(1_100_000) }).expect(413);
    expect(res.text).to.contain('request body too large');
    expect(res.text).not.to.contain('Something went wrong on our side');
  });

  it('answers an address with broken percent-encoding with 400, not a server error', async () => {
    const res = await admin.get('/accounts/%E0%A4%A').expect(400);
    expect(res.text).to.contain('not valid percent-encoding');
  });

  it('tells browsers and proxies to keep no copy of a page that shows a new API token', async () => {
    const _csrf = await csrfOf(admin, '/admin/tokens');
    const res = await admin.post('/admin/tokens').type('form').send({ _csrf, name: 'shown once', role: 'readonly' }).expect(201);
    expect(res.text).to.contain('id="new-token">oct_api_');
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('tells browsers to keep no copy of a page that shows a new agent token', async () => {
    const _csrf = await csrfOf(admin, '/agents');
    const res = await admin.post('/agents').type('form').send({ _csrf, name: 'pop-cache' }).expect(200);
    expect(res.text).to.contain('id="agent-token">oct_agent_');
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('revokes an API token from the page, audited with its name, after which the token gets 401', async () => {
    const { token, info } = await plugin.ctx.services.auth.createApiToken({ name: 'to revoke', role: 'readonly' }, 'test');
    const _csrf = await csrfOf(admin, '/admin/tokens');
    await admin.post(`/admin/tokens/${info.id}/revoke`).type('form').send({ _csrf }).expect(303);
    expect(await plugin.ctx.services.auth.authenticateToken(token).then(() => 'accepted', () => 'refused')).to.equal('refused');
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'api_token', entityId: String(info.id) });
    expect(audit.map((a) => [a.action, a.details])).to.deep.include(['api_token.revoke', { name: 'to revoke' }]);
  });

  it('answers 404 to revoking an API token that does not exist, whatever the id looks like', async () => {
    const _csrf = await csrfOf(admin, '/admin/tokens');
    await admin.post('/admin/tokens/999999/revoke').type('form').send({ _csrf }).expect(404);
    await admin.post('/admin/tokens/abc/revoke').type('form').send({ _csrf }).expect(404);
  });

  it('answers 409 to revoking an API token a second time and audits only the first', async () => {
    const { info } = await plugin.ctx.services.auth.createApiToken({ name: 'twice', role: 'readonly' }, 'test');
    const _csrf = await csrfOf(admin, '/admin/tokens');
    await admin.post(`/admin/tokens/${info.id}/revoke`).type('form').send({ _csrf }).expect(303);
    const res = await admin.post(`/admin/tokens/${info.id}/revoke`).type('form').send({ _csrf }).expect(409);
    expect(res.text).to.contain('revoked already');
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'api_token', entityId: String(info.id) });
    expect(audit.filter((a) => a.action === 'api_token.revoke')).to.have.length(1);
  });

  it('answers 409 to a new staff user whose e-mail is taken, naming the field', async () => {
    const _csrf = await csrfOf(admin, '/admin/users');
    const res = await admin.post('/admin/users').type('form').send({ _csrf, email: adminEmail, name: 'Again', role: 'billing', password: 'a long passphrase' }).expect(409);
    expect(res.text).to.contain('E-mail already exists');
  });

  it('keeps a readonly user from revoking tokens', async () => {
    const { info } = await plugin.ctx.services.auth.createApiToken({ name: 'kept', role: 'readonly' }, 'test');
    const ro = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    const _csrf = await csrfOf(ro);
    await ro.post(`/admin/tokens/${info.id}/revoke`).type('form').send({ _csrf }).expect(403);
    expect((await plugin.ctx.repos.tokens.findById(info.id))?.revokedAt).to.equal(null);
  });
});
