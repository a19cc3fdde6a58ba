import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { expect } from 'chai';
import { nullLogger } from '../../../plugin/common/logger.js';
import type { HostPayment } from '../../../plugin/host/platform.js';
import { buildUispZip, UispClient, uispSettingsSchema, uispWebhookRoutes, UispPlatform } from '../../../plugin/host/uisp/index.js';
import { startPhpServer } from '../packaging/php-server.js';
import { adminUser, startUispFake, type UispFake } from '../../support/uisp-fake/server.js';

const sh = promisify(execFile);
const SIGNING_KEY = 'plugin-and-octet-share-this-key-0123456789';
const EVENT = { uuid: '2c6984d7-03ae-4e48-a212-7b99378837a2', changeType: 'insert', entity: 'payment', entityId: 1, eventName: 'payment.add', extraData: {} };

/**
 * The plugin ZIP's public.php under PHP's own web server, between the UISP CRM contract fake
 * (current-user, webhook-events) and an Octet that runs the real webhook endpoint and checks
 * assertions with the real UISP platform.
 */
describe('the UISP plugin public.php between the CRM and Octet', function () {
  this.timeout(60_000);
  let dir: string;
  let crm: UispFake;
  let octet: Server;
  let octetUrl: string;
  let php: Awaited<ReturnType<typeof startPhpServer>>;
  let recorded: HostPayment[];
  let platform: UispPlatform;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-uisp-php-'));
    crm = await startUispFake();
    recorded = [];
    const client = new UispClient({ url: crm.url, appKey: crm.readKey, appKeyType: 'read', retries: 0 });
    const ports = { recordPayment: async (p: HostPayment) => (recorded.push(p), 'recorded' as const), mirrorBlocking: async () => {}, resyncCustomer: async () => {} };
    const app = express().use(uispWebhookRoutes({ client, ports, logger: nullLogger }));
    octet = app.listen(0, '127.0.0.1');
    await new Promise((r) => octet.once('listening', r));
    octetUrl = `http://127.0.0.1:${(octet.address() as AddressInfo).port}`;
    platform = new UispPlatform({ settings: uispSettingsSchema.parse({ url: crm.url, appKey: crm.readKey, signingKey: SIGNING_KEY, roleMap: { 'Admin Group': 'admin' } }), logger: nullLogger });

    const { path } = await buildUispZip({ outDir: join(dir, 'zip') });
    const root = join(dir, 'plugin');
    await sh('unzip', ['-q', path, '-d', root]);
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data', 'config.json'), JSON.stringify({ octetUrl: `${octetUrl}/`, octetSigningKey: SIGNING_KEY }));
    writeFileSync(join(root, 'ucrm.json'), JSON.stringify({ ucrmPublicUrl: crm.url, ucrmLocalUrl: crm.url, pluginPublicUrl: null, pluginAppKey: crm.writeKey, pluginId: 1 }));
    php = await startPhpServer(root);
    crm.sessions.set('staffsession1', adminUser());
    crm.sessions.set('clientsession1', adminUser({ userId: 5, username: 'john.doe', isClient: true, clientId: 1000, userGroup: null, permissions: {}, specialPermissions: {} }));
  });
  after(async () => {
    await php?.stop();
    await new Promise((r) => octet?.close(r));
    await crm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = (query: string, cookie?: string) => fetch(`${php.url}/public.php?${query}`, { headers: cookie ? { Cookie: cookie } : {} });
  const iframeSrc = (html: string) => {
    const m = /<iframe id="octet" title="Octet" src="([^"]+)"><\/iframe>/.exec(html);
    return m ? new URL(m[1]!.replace(/&amp;/g, '&')) : null;
  };

  it("gives a signed-in staff member an iframe on Octet's page with an assertion Octet accepts once", async () => {
    const res = await page('page=invoices', 'PHPSESSID=staffsession1');
    expect(res.status).to.equal(200);
    const src = iframeSrc(await res.text());
    expect(src?.origin).to.equal(octetUrl);
    expect(src?.pathname).to.equal('/invoices');
    const facts = { query: { sash: src!.searchParams.get('sash')! }, headers: {} };
    expect(await platform.identifyStaff(facts)).to.deep.equal({ externalId: '1', name: 'admin', email: null, hostRole: 'Admin Group', octetRole: 'admin' });
    expect(await platform.identifyStaff(facts)).to.equal(null);
    // The CRM was asked with the session cookie, as UISP's plugin security docs describe.
    expect(crm.requests.filter((r) => r.path === 'current-user')).to.have.length(1);
  });

  it("opens the client overview widget on Octet's accounts found by that client id, with the client in the assertion", async () => {
    const res = await page('page=client&_clientId=1000', 'PHPSESSID=staffsession1');
    const src = iframeSrc(await res.text());
    expect(src?.pathname).to.equal('/accounts');
    expect(src?.searchParams.get('q')).to.equal('1000');
    const body = JSON.parse(Buffer.from(src!.searchParams.get('sash')!.split('.')[0]!, 'base64url').toString('utf8')) as { clientId: number; exp: number; iat: number };
    expect(body.clientId).to.equal(1000);
    expect(body.exp - body.iat).to.equal(60);
  });

  it('also takes the session cookies of UISP 1.x (nms-crm-php-session-id, nms-session)', async () => {
    const res = await page('page=reports', 'nms-crm-php-session-id=staffsession1; nms-session=abc');
    expect(res.status).to.equal(200);
    expect(iframeSrc(await res.text())?.pathname).to.equal('/reports');
  });

  it('refuses a client-zone session and a visitor without a session with 403 and no iframe', async () => {
    for (const cookie of ['PHPSESSID=clientsession1', 'PHPSESSID=nosuchsession', undefined]) {
      const res = await page('page=invoices', cookie);
      expect(res.status, String(cookie)).to.equal(403);
      expect(iframeSrc(await res.text()), String(cookie)).to.equal(null);
    }
  });

  it('forwards a CRM webhook to Octet, which confirms it with the CRM before recording the payment', async () => {
    const res = await fetch(`${php.url}/public.php`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(EVENT) });
    expect(res.status).to.equal(200);
    expect(recorded.map((p) => [p.externalId, p.amountMinor, p.currency])).to.deep.equal([['1', 1000n, 'USD']]);
    expect(crm.requests.some((r) => r.path === `webhook-events/${EVENT.uuid}`)).to.equal(true);
  });

  it('passes on that Octet ignored a forged webhook (202), and refuses a body that is no event (400) without forwarding it', async () => {
    const before = recorded.length;
    const forged = await fetch(`${php.url}/public.php`, { method: 'POST', body: JSON.stringify({ ...EVENT, uuid: '99999999-2222-4333-8444-555555555555' }) });
    expect(forged.status).to.equal(202);
    const junk = await fetch(`${php.url}/public.php`, { method: 'POST', body: 'hello' });
    expect(junk.status).to.equal(400);
    expect(recorded).to.have.length(before);
  });
});
