import { expect } from 'chai';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom, loggedIn, type Browser } from '../../../support/web.js';

/** The session id in a client's cookie, and the key of its row. */
async function sessionKey(browser: Browser): Promise<string> {
  const cookies = String((await browser.get('/').expect(200)).request.cookies);
  const sid = /octet\.sid=s:([^.;]+)/.exec(decodeURIComponent(cookies))![1]!;
  return createHash('sha256').update(sid).digest('hex');
}

forEachDatabase('admin shell sessions', (dialect) => {
  let plugin: TestPlugin;
  let admin: { email: string; password: string };

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [] });
    admin = await createStaff(plugin.ctx, 'admin');
  });
  after(async () => plugin?.close());
  beforeEach(async () => {
    await plugin.ctx.models.WebSession.destroy({ where: {} });
  });

  it('stores no session however often the login page is opened', async () => {
    for (let i = 0; i < 30; i++) await request(plugin.app).get('/login').expect(200);
    const browser = request.agent(plugin.app);
    for (let i = 0; i < 5; i++) await browser.get('/login').expect(200);
    expect(await plugin.ctx.models.WebSession.count()).to.equal(0);
  });

  it('stores no session for a failed login either', async () => {
    const browser = request.agent(plugin.app);
    const _csrf = csrfFrom((await browser.get('/login')).text);
    await browser.post('/login').type('form').send({ email: admin.email, password: 'not the password', _csrf }).expect(401);
    expect(await plugin.ctx.models.WebSession.count()).to.equal(0);
  });

  it('refuses a login form whose token came from another visitor\'s login page', async () => {
    const mallory = request.agent(plugin.app);
    const foreign = csrfFrom((await mallory.get('/login')).text);
    const victim = request.agent(plugin.app);
    await victim.get('/login').expect(200);
    await victim.post('/login').type('form').send({ email: admin.email, password: admin.password, _csrf: foreign }).expect(403);
    await victim.get('/').expect(303);
  });

  it('stores one session at login, and page views minutes apart do not rewrite it', async () => {
    const browser = await loggedIn(plugin.app, admin);
    expect(await plugin.ctx.models.WebSession.count()).to.equal(1);
    const key = await sessionKey(browser);
    const expiry = async () => new Date((await plugin.ctx.models.WebSession.findByPk(key))!.get('expiresAt') as Date).getTime();
    const before = await expiry();
    let updates = 0;
    const model = plugin.ctx.models.WebSession as unknown as { update: (...args: unknown[]) => Promise<unknown> };
    const original = model.update;
    model.update = function (this: unknown, ...args: unknown[]) {
      updates++;
      return original.apply(this, args);
    };
    try {
      for (let i = 0; i < 10; i++) await browser.get('/').expect(200);
    } finally {
      model.update = original;
    }
    expect(updates).to.equal(0);
    expect(await expiry()).to.equal(before);
  });

  it('moves a session\'s stored expiry forward once it lags the last visit by more than a few minutes', async () => {
    const browser = await loggedIn(plugin.app, admin);
    const key = await sessionKey(browser);
    // As if the last write was an hour ago: the row would expire an hour before the cookie.
    const lagging = new Date(Date.now() + 11 * 3600_000);
    await plugin.ctx.models.WebSession.update({ expiresAt: lagging }, { where: { sid: key } });
    await browser.get('/').expect(200);
    const stored = new Date((await plugin.ctx.models.WebSession.findByPk(key))!.get('expiresAt') as Date).getTime();
    expect(stored - lagging.getTime()).to.be.greaterThan(50 * 60_000);
  });

  for (const [what, data] of [
    ['not JSON', '{"cookie":{"originalMaxAge'],
    ['JSON null', 'null'],
    ['a session without its cookie', '{"userId":1}'],
  ] as const) {
    it(`treats a session row holding ${what} as no session: the visitor is asked to log in`, async () => {
      const browser = await loggedIn(plugin.app, admin);
      const key = await sessionKey(browser);
      await plugin.ctx.models.WebSession.update({ data }, { where: { sid: key } });
      const res = await browser.get('/accounts').expect(303);
      expect(res.headers.location).to.equal('/login?next=%2Faccounts');
      await browser.get('/login').expect(200);
      expect(await plugin.ctx.models.WebSession.findByPk(key)).to.equal(null);
    });
  }
});
