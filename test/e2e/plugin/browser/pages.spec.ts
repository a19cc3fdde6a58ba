import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../../../plugin/config.js';
import { startPlugin, type RunningPlugin } from '../../../../plugin/main.js';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots go: outside the repository, printed when the spec starts. */
export const SCREENSHOTS = join(tmpdir(), 'octet-screenshots');
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

/**
 * Every admin page in a real browser (Debian's Chromium), at a desktop width and at 390 pixels
 * (a phone, or a narrow iframe in a host panel): nothing runs off the right edge, and every
 * navigation entry is on screen. Each page is saved as a screenshot per width.
 */
describe('every admin page at desktop and phone widths (Chromium)', function () {
  this.timeout(300_000);
  let dir: string;
  let plugin: RunningPlugin;
  let browser: Browser;
  let page: Page;
  let pages: Array<{ name: string; path: string }>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-pages-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    console.log(`      screenshots: ${SCREENSHOTS}`);
    const config = pluginConfigSchema.parse({
      db: { url: `sqlite:${join(dir, 'octet.db')}` },
      http: { host: '127.0.0.1', port: 0, secureCookies: false },
      billing: { currency: 'EUR', timezone: 'Europe/Berlin' },
      log: { level: 'error' },
    });
    plugin = await startPlugin(config, { logger: nullLogger });
    const admin = await plugin.ctx.services.auth.createUser({ email: 'ada@isp.example', name: 'Ada Admin', role: 'admin', password: 'a long enough password' }, 'test');
    await plugin.ctx.services.auth.createApiToken({ name: 'crm sync', role: 'billing' }, `user:${admin.id}`);
    const { subscribers } = buildSubscribers(plugin.ctx);
    const account = await subscribers.createAccount(
      { name: 'Gemeinschaftspraxis Dr. Maximiliane Mustermann-Schönberger', externalId: 'K-100234', email: 'praxis.mustermann-schoenberger@example.net', city: 'Mönchengladbach', country: 'DE' },
      `user:${admin.id}`,
    );
    const service = await subscribers.createService(account.id, { login: 'mustermann-schoenberger-praxis@pppoe.isp.example', tariff: 'business-1000', nasName: 'bras-nord-1', startDate: '2026-01-15' }, `user:${admin.id}`);
    await subscribers.updateAccount(account.id, { email: 'empfang@praxis-mustermann.example.net', phone: '+49 2161 1234567' }, `user:${admin.id}`);
    await subscribers.updateService(service.id, { tariff: 'business-2000' }, `user:${admin.id}`);

    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: join(dir, 'chromium-profile'),
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setViewport(WIDTHS.desktop);
    await page.goto(`${plugin.url}/login`, { waitUntil: 'load' });
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-login.png'), fullPage: true });
    await page.setViewport(WIDTHS.phone);
    await page.reload({ waitUntil: 'load' });
    await page.screenshot({ path: join(SCREENSHOTS, 'phone-login.png'), fullPage: true });
    await page.type('#email', 'ada@isp.example');
    await page.type('#password', 'a long enough password');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);

    // Every page the navigation offers (other modules' pages included), and the detail pages.
    const navHrefs = await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    const detail = ['/usage/live', '/usage/unassigned', `/accounts/${account.id}`, `/accounts/${account.id}/edit`, `/accounts/new`, `/accounts/${account.id}/services/new`, `/services/${service.id}/edit`];
    pages = [...new Set([...navHrefs, ...detail])].map((path) => ({ path, name: path === '/' ? 'dashboard' : path.slice(1).replace(/\//g, '-') }));
  });

  after(async () => {
    await browser?.close();
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('offers at least the accounts, import, usage, agents and admin pages to check', () => {
    const paths = pages.map((p) => p.path);
    for (const p of ['/', '/accounts', '/import/accounts', '/usage', '/agents', '/admin/users', '/admin/tokens']) expect(paths).to.include(p);
  });

  for (const [label, viewport] of Object.entries(WIDTHS)) {
    it(`shows every page at ${viewport.width} px with nothing off the right edge and every navigation entry on screen`, async () => {
      await page.setViewport(viewport);
      const problems: string[] = [];
      for (const p of pages) {
        const res = await page.goto(`${plugin.url}${p.path}`, { waitUntil: 'load' });
        expect(res?.status(), p.path).to.equal(200);
        await page.screenshot({ path: join(SCREENSHOTS, `${label}-${p.name}.png`), fullPage: true });
        const m = await page.evaluate(() => {
          const d = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number }; querySelectorAll(s: string): ArrayLike<{ getBoundingClientRect(): { left: number; right: number }; textContent: string | null }> } };
          const nav = Array.from(d.document.querySelectorAll('header nav a, header .who, header button')).map((a) => ({ text: a.textContent ?? '', ...a.getBoundingClientRect() }));
          return { scrollWidth: d.document.documentElement.scrollWidth, innerWidth: d.innerWidth, offscreen: nav.filter((n) => n.left < 0 || n.right > d.innerWidth).map((n) => n.text.trim()) };
        });
        if (m.scrollWidth > m.innerWidth) problems.push(`${p.path}: page is ${m.scrollWidth} px wide in a ${m.innerWidth} px window`);
        if (m.offscreen.length) problems.push(`${p.path}: off screen: ${m.offscreen.join(', ')}`);
      }
      expect(problems).to.deep.equal([]);
    });
  }

  it('tells the account history in words on a phone: who by name, and what changed from what to what', async () => {
    await page.setViewport(WIDTHS.phone);
    const accountPage = pages.find((p) => /^\/accounts\/\d+$/.test(p.path))!;
    await page.goto(`${plugin.url}${accountPage.path}`, { waitUntil: 'load' });
    const history = await page.$eval('#history', (el) => (el as unknown as { innerText: string }).innerText);
    expect(history).to.contain('Ada Admin');
    expect(history).to.contain('Tariff: business-1000 → business-2000');
    expect(history).to.contain('E-mail: praxis.mustermann-schoenberger@example.net → empfang@praxis-mustermann.example.net');
    expect(history).not.to.match(/user:\d|[{}]/);
  });
});
