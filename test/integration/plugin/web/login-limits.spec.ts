import { expect } from 'chai';
import type express from 'express';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { createWebApp } from '../../../../plugin/web/app.js';
import { forEachDatabase, type TestDialect } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfFrom } from '../../../support/web.js';

/** One login attempt from a fresh browser, as a client behind the proxy at `forwardedFor`. */
async function attempt(app: express.Express, creds: { email: string; password: string }, forwardedFor?: string): Promise<request.Response> {
  const browser = request.agent(app);
  const page = browser.get('/login');
  if (forwardedFor) void page.set('X-Forwarded-For', forwardedFor);
  const _csrf = csrfFrom((await page.expect(200)).text);
  const post = browser.post('/login').type('form');
  if (forwardedFor) void post.set('X-Forwarded-For', forwardedFor);
  return post.send({ email: creds.email, password: creds.password, _csrf, next: '/' });
}

async function failTimes(app: express.Express, n: number, email: string, address: (i: number) => string | undefined): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await attempt(app, { email, password: `wrong guess ${i}` }, address(i));
    expect(res.status, `attempt ${i + 1}`).to.equal(401);
  }
}

async function pluginWith(dialect: TestDialect, clock: ManualClock, trustProxy: boolean | number | string): Promise<TestPlugin> {
  return createTestPlugin(dialect, { modules: [], clock, config: { http: { trustProxy } as never } });
}

forEachDatabase('failed login limits behind a reverse proxy', (dialect) => {
  describe('with the proxy trusted (one hop)', () => {
    let plugin: TestPlugin;
    let clock: ManualClock;
    let admin: { email: string; password: string };
    let billing: { email: string; password: string };

    before(async () => {
      clock = new ManualClock('2026-03-01T09:00:00Z');
      plugin = await pluginWith(dialect, clock, 1);
      admin = await createStaff(plugin.ctx, 'admin');
      billing = await createStaff(plugin.ctx, 'billing');
    });
    after(async () => plugin?.close());

    it('answers 429 with Retry-After after 10 failed logins from one client, even with the right password', async () => {
      await failTimes(plugin.app, 10, 'nobody1@isp.example', () => '203.0.113.10');
      const res = await attempt(plugin.app, admin, '203.0.113.10');
      expect(res.status).to.equal(429);
      expect(res.text).to.contain('Too many failed login attempts');
      expect(Number(res.headers['retry-after'])).to.be.within(1, 15 * 60);
    });

    it('lets every other staff member log in while one client is locked out', async () => {
      await failTimes(plugin.app, 10, billing.email, () => '203.0.113.20');
      expect((await attempt(plugin.app, billing, '203.0.113.20')).status).to.equal(429);
      expect((await attempt(plugin.app, admin, '198.51.100.4')).status).to.equal(303);
      expect((await attempt(plugin.app, billing, '198.51.100.5')).status).to.equal(303);
    });

    it('locks an account after 20 failed logins spread over many addresses, and only that account', async () => {
      const target = await createStaff(plugin.ctx, 'readonly', 'target@isp.example');
      await failTimes(plugin.app, 20, target.email, (i) => `192.0.2.${i + 1}`);
      const refused = await attempt(plugin.app, target, '198.51.100.77');
      expect(refused.status).to.equal(429);
      expect((await attempt(plugin.app, admin, '198.51.100.77')).status).to.equal(303);
    });

    it('counts failed logins across plugin instances sharing the database', async () => {
      const other = createWebApp(plugin.ctx, { sessionSecret: 'test-session-secret', contributions: [], isReady: () => true });
      await failTimes(plugin.app, 5, 'nobody3@isp.example', () => '203.0.113.30');
      await failTimes(other, 5, 'nobody3@isp.example', () => '203.0.113.30');
      expect((await attempt(plugin.app, admin, '203.0.113.30')).status).to.equal(429);
      expect((await attempt(other, admin, '203.0.113.30')).status).to.equal(429);
    });

    it('lets a locked-out client log in again once 15 minutes have passed on the plugin clock', async () => {
      await failTimes(plugin.app, 10, 'nobody4@isp.example', () => '203.0.113.40');
      expect((await attempt(plugin.app, admin, '203.0.113.40')).status).to.equal(429);
      clock.advance(15 * 60_000 + 1000);
      expect((await attempt(plugin.app, admin, '203.0.113.40')).status).to.equal(303);
    });

    it('keeps neither e-mail addresses nor client addresses in clear in the failures table', async () => {
      await failTimes(plugin.app, 1, 'clear-text@isp.example', () => '203.0.113.50');
      const rows = (await plugin.ctx.models.LoginFailure.findAll()).map((r) => JSON.stringify(r.get({ plain: true })));
      expect(rows.join('\n')).not.to.contain('clear-text@isp.example');
      expect(rows.join('\n')).not.to.contain('203.0.113.50');
    });
  });

  describe('with the proxies named by address ("loopback")', () => {
    let plugin: TestPlugin;
    before(async () => {
      plugin = await pluginWith(dialect, new ManualClock('2026-03-01T09:00:00Z'), 'loopback');
    });
    after(async () => plugin?.close());

    it('takes the client address from X-Forwarded-For sent by a listed proxy', async () => {
      const admin = await createStaff(plugin.ctx, 'admin');
      await failTimes(plugin.app, 10, admin.email, () => '203.0.113.60');
      expect((await attempt(plugin.app, admin, '203.0.113.60')).status).to.equal(429);
      expect((await attempt(plugin.app, admin, '203.0.113.61')).status).to.equal(303);
    });
  });

  describe('with no proxy trusted', () => {
    let plugin: TestPlugin;
    before(async () => {
      plugin = await pluginWith(dialect, new ManualClock('2026-03-01T09:00:00Z'), false);
    });
    after(async () => plugin?.close());

    it('does not let a client escape the limit by sending a different X-Forwarded-For each time', async () => {
      const admin = await createStaff(plugin.ctx, 'admin');
      await failTimes(plugin.app, 10, 'nobody@isp.example', (i) => `192.0.2.${100 + i}`);
      expect((await attempt(plugin.app, admin, '192.0.2.250')).status).to.equal(429);
    });
  });
});
