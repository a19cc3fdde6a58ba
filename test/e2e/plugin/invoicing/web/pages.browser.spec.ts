import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ManualClock } from '../../../../../plugin/common/clock.js';
import type { InvoiceRecord } from '../../../../../plugin/invoicing/invoices.repository.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { createStaff } from '../../../../support/web.js';
import { FakeBilling, FakeMail, issue, newDocument, withInvoicing, type Invoicing } from '../../../../integration/plugin/invoicing/web/fixtures.js';

// Evaluated in the page, where the DOM exists (the project's tsconfig has no DOM library).
declare const document: { body: { innerText: string }; documentElement: { scrollWidth: number }; querySelector(s: string): { textContent: string | null } | null };

/**
 * The invoicing pages in Debian's Chromium under the app's real CSP (no inline script): the
 * stored document shows in its sandboxed frame, a running run's page reloads itself until the
 * run ends, and the report charts fit a phone's width.
 */
describe('invoicing pages in a real browser (Chromium)', function () {
  this.timeout(120_000);
  let plugin: TestPlugin;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  let state: Invoicing;
  let invoice: InvoiceRecord;
  let dir: string;
  const problems: string[] = [];

  before(async () => {
    state = { billing: new FakeBilling(), mail: new FakeMail() };
    plugin = await createTestPlugin('sqlite', { clock: new ManualClock('2026-03-10T12:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } }, modules: withInvoicing(state) });
    const a = await plugin.services.subscribers.subscribers.createAccount({ name: 'Browser Customer' }, 'test');
    [invoice] = (await issue(plugin.ctx, state.invoices!, [newDocument(a.id, 'b1')])) as [InvoiceRecord];
    const creds = await createStaff(plugin.ctx, 'billing');
    server = await new Promise<Server>((resolve) => {
      const s = plugin.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'octet-invoicing-browser-'));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, userDataDir: join(dir, 'profile'), args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage();
    // Console errors name no URL; failed responses do (the browser's own /favicon.ico is not ours).
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${url}/login`, { waitUntil: 'load' });
    await page.type('#email', creds.email);
    await page.type('#password', creds.password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the stored invoice inside its sandboxed frame, with nothing refused by the CSP', async () => {
    problems.length = 0;
    await page.goto(`${url}/invoices/${invoice.id}`, { waitUntil: 'load' });
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame, 'the document frame').to.not.equal(undefined);
    const text = await frame!.evaluate(() => document.body.innerText);
    expect(text).to.contain('INV-000001').and.to.contain('99.25');
    expect(problems).to.deep.equal([]);
  });

  it("reloads a running run's page every 2 seconds and stops when the run has ended", async () => {
    const run = state.billing.run({ status: 'running' });
    await page.goto(`${url}/billing/runs/${run.id}`, { waitUntil: 'load' });
    expect(await page.$eval('#run-status', (e) => e.textContent)).to.equal('running');
    run.status = 'finished';
    run.finishedAt = new Date('2026-03-10T12:01:00Z');
    await page.waitForFunction(() => document.querySelector('#run-status')?.textContent === 'finished', { timeout: 10_000 });
    expect(await page.$('#refreshing')).to.equal(null);
  });

  it('draws the report charts within a phone-wide screen', async () => {
    await page.setViewport({ width: 390, height: 844 });
    await page.goto(`${url}/reports?from=2026-01&to=2026-03&period=2026-02-01`, { waitUntil: 'load' });
    const widths = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => s.getBoundingClientRect().right));
    expect(widths.length).to.be.greaterThan(3);
    for (const w of widths) expect(w).to.be.at.most(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    expect(problems).to.deep.equal([]);
  });
});
