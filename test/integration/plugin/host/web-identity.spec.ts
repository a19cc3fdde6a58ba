import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import type { StaffUser } from '../../../../plugin/auth/index.js';
import { splynxSettingsSchema } from '../../../../plugin/host/config.js';
import { SplynxHost } from '../../../../plugin/host/splynx/adapter.js';
import { SplynxClient } from '../../../../plugin/host/splynx/client.js';
import { frameAncestorsFor, hostIdentity, hostWebHooks } from '../../../../plugin/host/web-identity.js';
import { hostConfigSchema } from '../../../../plugin/host/config.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { SplynxFake } from '../../../support/splynx-fake/server.js';

const SASH = '5f4dcc3b5aa765d61d8327deb882cf99';

describe('who is looking at an add-on page (Splynx sash)', () => {
  let fake: SplynxFake;
  let plugin: TestPlugin;
  let app: express.Express;

  before(async () => {
    fake = new SplynxFake();
    await fake.start();
    fake.sessions.set(SASH, 1);
    fake.put(fake.administrators, { id: 7, partner_id: 1, role_name: 'engineer', login: 'eng', name: 'Eve Engineer', email: 'eve@isp.example' });
    fake.sessions.set('eeee0000eeee0000', 7);
    plugin = await createTestPlugin('sqlite');
    const settings = splynxSettingsSchema.parse({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret });
    const host = new SplynxHost({ client: new SplynxClient({ url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, auth: 'token' }), settings, currency: 'EUR', timezone: 'UTC', now: () => new Date() });
    app = express();
    app.use(session({ secret: 'test', resave: false, saveUninitialized: false }));
    app.use(hostIdentity(plugin.ctx, host));
    app.get('/page', (_req, res) => {
      const u = res.locals.user as StaffUser;
      res.json({ id: u.id, name: u.name, role: u.role, email: u.email });
    });
  });
  after(async () => {
    await plugin?.close();
    await fake.stop();
  });

  it('resolves ?sash= to the Splynx administrator, with the mapped role and a local staff row marked external', async () => {
    const res = await request(app).get(`/page?sash=${SASH}`).expect(200);
    expect(res.body).to.include({ name: 'Main', role: 'admin', email: 'main@email.com' });
    const row = await plugin.ctx.repos.users.findById(res.body.id);
    expect(row!.email).to.match(/^panel-[0-9a-f]{24}@panel\.invalid$/);
  });

  it('maps a role the map does not name to readonly', async () => {
    const res = await request(app).get('/page?sash=eeee0000eeee0000').expect(200);
    expect(res.body).to.include({ name: 'Eve Engineer', role: 'readonly' });
  });

  it('keeps the staff member for the next pages of the same browser session, which carry no sash', async () => {
    const browser = request.agent(app);
    const first = await browser.get(`/page?sash=${SASH}`).expect(200);
    const next = await browser.get('/page').expect(200);
    expect(next.body.id).to.equal(first.body.id);
  });

  it('refuses with 403 a request without a sash, or with one Splynx does not know', async () => {
    await request(app).get('/page').expect(403);
    const res = await request(app).get('/page?sash=0123456789abcdef').expect(403);
    expect(res.text).to.contain('Open this page from splynx');
  });

  it('refuses with 403 a staff member switched off in Octet', async () => {
    await request(app).get('/page?sash=eeee0000eeee0000').expect(200);
    const eve = (await plugin.ctx.repos.users.list()).find((u) => u.name === 'Eve Engineer')!;
    await plugin.ctx.models.User.update({ disabled: true }, { where: { id: eve.id } });
    const res = await request(app).get('/page?sash=eeee0000eeee0000');
    expect([res.status, res.text]).to.deep.equal([403, 'Your account is switched off in Octet.']);
  });
});

describe('which origins may frame Octet', () => {
  it('the configured Splynx origins, or the Splynx URL origin by default', () => {
    const base = { kind: 'splynx', splynx: { url: 'https://splynx.isp.example/admin', apiKey: 'k', apiSecret: 's' } };
    expect(frameAncestorsFor(hostConfigSchema.parse(base))).to.deep.equal(['https://splynx.isp.example']);
    expect(frameAncestorsFor(hostConfigSchema.parse({ ...base, splynx: { ...base.splynx, frameAncestors: ['https://panel.isp.example:8443'] } }))).to.deep.equal(['https://panel.isp.example:8443']);
  });
  it('none for the standalone shell, which frames only itself', async () => {
    expect(frameAncestorsFor(hostConfigSchema.parse('standalone'))).to.deep.equal([]);
    const plugin = await createTestPlugin('sqlite');
    try {
      expect(hostWebHooks(plugin.ctx, plugin.services.host.platform)).to.deep.equal({ auth: 'standalone', identity: null, frameAncestors: [] });
    } finally {
      await plugin.close();
    }
  });
  it('refuses a frame ancestor that is not a bare origin', () => {
    const r = hostConfigSchema.safeParse({ kind: 'splynx', splynx: { url: 'https://s.example', apiKey: 'k', apiSecret: 's', frameAncestors: ['https://s.example/admin/'] } });
    expect(r.success).to.equal(false);
    expect(r.error!.issues[0]!.message).to.contain('must be an origin');
  });
});
