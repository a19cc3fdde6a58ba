import { expect } from 'chai';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { createWebApp } from '../../../../plugin/web/app.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom, csrfOf, loggedIn } from '../../../support/web.js';

forEachDatabase('admin shell login', (dialect) => {
  let plugin: TestPlugin;
  let admin: { email: string; password: string };

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [] });
    admin = await createStaff(plugin.ctx, 'admin');
  });
  after(async () => plugin?.close());

  it('sends an anonymous visitor to the login page', async () => {
    const res = await request(plugin.app).get('/').expect(303);
    expect(res.headers.location).to.equal('/login?next=%2F');
  });

  it('logs in with the right password and shows the dashboard with the navigation', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const res = await browser.get('/').expect(200);
    expect(res.text).to.contain('<h1>Dashboard</h1>');
    expect(res.text).to.contain('href="/admin/users"');
    const user = await plugin.ctx.repos.users.findByEmailWithHash(admin.email);
    expect(user?.lastLoginAt).to.be.instanceOf(Date);
  });

  it('refuses a wrong password with 401, says so, and logs nobody in', async () => {
    const browser = request.agent(plugin.app);
    const page = await browser.get('/login').expect(200);
    const res = await browser
      .post('/login')
      .type('form')
      .send({ email: admin.email, password: 'wrong password!!', _csrf: csrfFrom(page.text) })
      .expect(401);
    expect(res.text).to.contain('Wrong e-mail or password.');
    await browser.get('/').expect(303);
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'user' });
    expect(audit.map((a) => a.action)).to.include('login.failed');
  });

  it('refuses an unknown e-mail exactly like a wrong password', async () => {
    const browser = request.agent(plugin.app);
    const page = await browser.get('/login');
    const res = await browser.post('/login').type('form').send({ email: 'nobody@isp.example', password: 'whatever whatever', _csrf: csrfFrom(page.text) }).expect(401);
    expect(res.text).to.contain('Wrong e-mail or password.');
  });

  it('rejects a login form without its CSRF token with 403 and logs nobody in', async () => {
    const browser = request.agent(plugin.app);
    await browser.get('/login').expect(200);
    const res = await browser.post('/login').type('form').send({ email: admin.email, password: admin.password }).expect(403);
    expect(res.text).to.contain('CSRF check failed');
    await browser.get('/').expect(303);
  });

  it('rejects a form posted with another session\'s CSRF token', async () => {
    const alice = await loggedIn(plugin.app, admin);
    const mallory = request.agent(plugin.app);
    const foreignToken = csrfFrom((await mallory.get('/login')).text);
    await alice.post('/admin/users').type('form').send({ _csrf: foreignToken, email: 'x@isp.example', name: 'X', role: 'admin', password: 'long enough password' }).expect(403);
    expect(await plugin.ctx.repos.users.findByEmailWithHash('x@isp.example')).to.equal(null);
  });

  it('denies a billing user the admin pages with 403 and hides them from the navigation', async () => {
    const billing = await createStaff(plugin.ctx, 'billing');
    const browser = await loggedIn(plugin.app, billing);
    const home = await browser.get('/').expect(200);
    expect(home.text).not.to.contain('href="/admin/users"');
    const res = await browser.get('/admin/users').expect(403);
    expect(res.text).to.contain('this needs the admin role');
    const token = csrfFrom(home.text);
    await browser.post('/admin/tokens').type('form').send({ _csrf: token, name: 'sneaky', role: 'admin' }).expect(403);
    expect((await plugin.ctx.repos.tokens.list()).map((t) => t.name)).not.to.include('sneaky');
  });

  it('lets an admin add a staff user, audited, and the new user can log in', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const token = await csrfOf(browser, '/admin/users');
    await browser.post('/admin/users').type('form').send({ _csrf: token, email: 'ro@isp.example', name: 'Read Only', role: 'readonly', password: 'a long passphrase' }).expect(303);
    const ro = await loggedIn(plugin.app, { email: 'ro@isp.example', password: 'a long passphrase' });
    await ro.get('/').expect(200);
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'user' });
    expect(audit.some((a) => a.action === 'user.create' && a.actor.startsWith('user:'))).to.equal(true);
  });

  it('keeps the entered values and names the field when a new user is invalid', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const token = await csrfOf(browser, '/admin/users');
    const res = await browser.post('/admin/users').type('form').send({ _csrf: token, email: 'short@isp.example', name: 'Shorty', role: 'billing', password: 'short' }).expect(422);
    expect(res.text).to.contain('Password must be at least 12 characters');
    expect(res.text).to.contain('value="short@isp.example"');
  });

  it('keeps a session across a restart: a new app instance on the same database accepts the cookie', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const cookie = (await browser.get('/')).request.cookies;
    const restarted = createWebApp(plugin.ctx, { sessionSecret: 'test-session-secret', contributions: [], isReady: () => true });
    const res = await request(restarted).get('/').set('Cookie', cookie).expect(200);
    expect(res.text).to.contain('<h1>Dashboard</h1>');
  });

  it('stores sessions under a hash of their id, so the table alone cannot be used to log in', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const cookie = (await browser.get('/')).request.cookies as unknown as string;
    const sid = /octet\.sid=s:([^.;]+)/.exec(decodeURIComponent(String(cookie)))![1]!;
    const rows = (await plugin.ctx.models.WebSession.findAll()).map((r) => String(r.get('sid')));
    expect(rows).not.to.include(sid);
    expect(rows).to.include(createHash('sha256').update(sid).digest('hex'));
  });

  it('ends the session on logout', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const token = await csrfOf(browser);
    await browser.post('/logout').type('form').send({ _csrf: token }).expect(303);
    await browser.get('/').expect(303);
  });

  it('escapes user-supplied text in pages', async () => {
    await plugin.ctx.services.auth.createUser({ email: 'xss@isp.example', name: '<script>alert(1)</script>', role: 'readonly', password: 'a long passphrase' }, 'test');
    const browser = await loggedIn(plugin.app, admin);
    const res = await browser.get('/admin/users').expect(200);
    expect(res.text).not.to.contain('<script>alert(1)</script>');
    expect(res.text).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends security headers', async () => {
    const res = await request(plugin.app).get('/login').expect(200);
    expect(res.headers['content-security-policy']).to.contain("default-src 'self'");
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
  });
});
