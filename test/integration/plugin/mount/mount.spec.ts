import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../../../plugin/config.js';
import { createOctetPlugin, type OctetPlugin, type PanelUser } from '../../../../plugin/mount.js';
import { createTestDatabase, forEachDatabase, type TestDatabase } from '../../../support/databases.js';
import { csrfFrom } from '../../../support/web.js';

/** The host panel's own users and its own login: a cookie naming who signed in. */
const PANEL_USERS: Record<string, PanelUser> = {
  grace: { externalId: 'admin-7', name: 'Grace Panel', email: 'grace@isp.example', role: 'admin' },
  linus: { externalId: 'viewer 9', name: 'Linus <Viewer>', role: 'readonly' },
};

declare module 'express-serve-static-core' {
  interface Request {
    panelUser?: PanelUser;
  }
}

function panelApp(octet: OctetPlugin) {
  const panel = express();
  panel.post('/panel/login/:who', (req, res) => {
    res.cookie('panel', req.params.who, { httpOnly: true, path: '/' }).redirect(303, '/panel');
  });
  // The panel's own guard: its 401 and its words, before Octet is reached at all.
  const requirePanelLogin = (req: Request, res: Response, next: NextFunction) => {
    const who = /(?:^|;\s*)panel=([a-z]+)/.exec(req.headers.cookie ?? '')?.[1];
    const user = who ? PANEL_USERS[who] : undefined;
    if (!user) return res.status(401).type('text/plain').send('panel: please sign in to the panel');
    req.panelUser = user;
    next();
  };
  panel.get('/panel', requirePanelLogin, (_req, res) => res.send('panel home'));
  panel.use('/billing', requirePanelLogin, octet.router);
  return panel;
}

forEachDatabase('createOctetPlugin: Octet mounted in a host panel', (dialect) => {
  let database: TestDatabase;
  let octet: OctetPlugin;
  let panel: express.Express;

  const signedIn = async (who: string) => {
    const browser = request.agent(panel);
    await browser.post(`/panel/login/${who}`).expect(303);
    return browser;
  };

  before(async function () {
    this.timeout(90_000);
    database = await createTestDatabase(dialect);
    const config = pluginConfigSchema.parse({ db: { url: database.url }, billing: { currency: 'EUR' } });
    octet = await createOctetPlugin({ config, logger: nullLogger, clock: new ManualClock('2026-03-01T00:00:00Z'), auth: { resolveUser: (req) => req.panelUser ?? null } });
    panel = panelApp(octet);
  });
  after(async () => {
    await octet?.close();
    await database?.drop();
  });

  it('shows a signed-in panel user the invoices at /billing/invoices, with every link and form under /billing', async () => {
    const grace = await signedIn('grace');
    const page = await grace.get('/billing/invoices').expect(200);
    expect(page.text).to.contain('Grace Panel (admin)');
    const paths = [...page.text.matchAll(/(?:href|action)="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(paths.length).to.be.greaterThan(5);
    expect(paths.filter((p) => !p.startsWith('/billing/') && p !== '/billing')).to.deep.equal([]);
    expect(paths).to.include('/billing/invoices');
    // The panel signs people out, so Octet offers no log-out form of its own.
    expect(page.text).not.to.contain('action="/billing/logout"');
  });

  it('gives a visitor without the panel login the panel’s own 401, and none of Octet', async () => {
    for (const path of ['/billing/invoices', '/billing/', '/billing/login', '/billing/webhooks']) {
      const res = await request(panel).get(path).expect(401);
      expect(res.text).to.equal('panel: please sign in to the panel');
    }
  });

  it('answers 401 itself, with no data, when the panel mounts it without a guard and nobody is signed in', async () => {
    const bare = express();
    bare.use('/billing', octet.router);
    const res = await request(bare).get('/billing/invoices').expect(401);
    expect(res.text).to.contain('Sign in to the admin panel first.').and.not.to.contain('<nav>');
  });

  it('still checks CSRF on forms under the mount, and redirects back under /billing', async () => {
    const grace = await signedIn('grace');
    await grace.post('/billing/webhooks').type('form').send({ url: 'https://crm.example.net/hook', events: 'invoice.issued' }).expect(403);
    expect(await octet.services.webhooks.service.endpoints()).to.have.length(0);
    const csrf = csrfFrom((await grace.get('/billing/webhooks').expect(200)).text);
    const created = await grace.post('/billing/webhooks').type('form').send({ _csrf: csrf, url: 'https://crm.example.net/hook', events: 'invoice.issued' }).expect(200);
    expect(created.text).to.match(/<code id="new-secret">whsec_[A-Za-z0-9_-]+<\/code>/);
    const [endpoint] = await octet.services.webhooks.service.endpoints();
    const removed = await grace.post(`/billing/webhooks/${endpoint!.id}/delete`).type('form').send({ _csrf: csrf }).expect(303);
    expect(removed.headers.location).to.equal('/billing/webhooks');
  });

  it('takes the role from the panel: a read-only panel user sees the webhooks page, cannot change it, and their name is escaped', async () => {
    const linus = await signedIn('linus');
    const page = await linus.get('/billing/webhooks').expect(200);
    expect(page.text).to.contain('Linus &lt;Viewer&gt; (readonly)').and.not.to.contain('id="new-endpoint"');
    await linus.post('/billing/webhooks').type('form').send({ url: 'https://x.example/h', events: '*' }).expect(403);
    expect(await octet.services.webhooks.service.endpoints()).to.have.length(0);
    // Each panel user is one staff row of Octet's, made on first sight, that the audit names; an
    // id that is no mailbox part (a space) is hashed into the address.
    const staff = (await octet.ctx.repos.users.list()).map((u) => [u.email, u.name]);
    expect(staff).to.have.length(2);
    expect(staff).to.deep.include(['panel-admin-7@panel.invalid', 'Grace Panel']);
    expect(staff.find(([, name]) => name === 'Linus <Viewer>')?.[0]).to.match(/^panel-[0-9a-f]{24}@panel\.invalid$/);
  });

  it('serves the REST API under the mount with Octet’s bearer tokens', async () => {
    const { token } = await octet.ctx.services.auth.createApiToken({ name: 'crm', role: 'readonly' }, 'test');
    const bare = express();
    bare.use('/billing', octet.router);
    const me = await request(bare).get('/billing/api/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body.token).to.include({ name: 'crm', role: 'readonly' });
    await request(bare).get('/billing/api/v1/me').expect(401);
  });

  it('starts and stops its jobs on request', async () => {
    octet.jobs.start();
    octet.jobs.start();
    await octet.jobs.stop();
    await octet.jobs.stop();
  });
});

forEachDatabase('createOctetPlugin: the standalone shell under a path', (dialect) => {
  let database: TestDatabase;
  let octet: OctetPlugin;
  let app: express.Express;

  before(async function () {
    this.timeout(90_000);
    database = await createTestDatabase(dialect);
    const config = pluginConfigSchema.parse({ db: { url: database.url } });
    octet = await createOctetPlugin({ config, logger: nullLogger, auth: 'standalone', basePath: '/octet', frameAncestors: ['https://panel.example.net'] });
    await octet.ctx.services.auth.createUser({ email: 'ada@isp.example', name: 'Ada', role: 'admin', password: 'correct horse admin battery' }, 'test');
    app = express();
    app.use(octet.router);
  });
  after(async () => {
    await octet?.close();
    await database?.drop();
  });

  it('lets only itself and the configured panel origin frame its pages, with no X-Frame-Options to contradict that', async () => {
    const res = await request(app).get('/octet/login').expect(200);
    expect(String(res.headers['content-security-policy'])).to.contain("frame-ancestors 'self' https://panel.example.net");
    expect(res.headers['x-frame-options']).to.equal(undefined);
  });

  it('sends a visitor to its login page under the path, and back to the page they asked for after it', async () => {
    const browser = request.agent(app);
    const away = await browser.get('/octet/invoices').expect(303);
    expect(away.headers.location).to.equal('/octet/login?next=%2Finvoices');
    const login = await browser.get(away.headers.location!).expect(200);
    expect(login.text).to.contain('action="/octet/login"');
    const back = await browser.post('/octet/login').type('form').send({ email: 'ada@isp.example', password: 'correct horse admin battery', next: '/invoices', _csrf: csrfFrom(login.text) }).expect(303);
    expect(back.headers.location).to.equal('/octet/invoices');
    await browser.get('/octet/invoices').expect(200);
    const out = await browser.post('/octet/logout').type('form').send({ _csrf: csrfFrom((await browser.get('/octet/invoices')).text) }).expect(303);
    expect(out.headers.location).to.equal('/octet/login');
  });
});
