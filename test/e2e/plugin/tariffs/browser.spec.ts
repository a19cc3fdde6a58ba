import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../../../plugin/config.js';
import { startPlugin, type RunningPlugin } from '../../../../plugin/main.js';

const SCREENSHOTS = join(tmpdir(), 'octet-screenshots');
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

/**
 * The tariff pages in Debian's Chromium at 1280 and 390 px: nothing runs off the right edge
 * (long definitions, tier tables, the try-a-tariff results), and a billing person can create a
 * graduated tariff by typing into the form and see it rated.
 */
describe('tariff pages in a browser at desktop and phone widths (Chromium)', function () {
  this.timeout(300_000);
  let dir: string;
  let plugin: RunningPlugin;
  let browser: Browser;
  let page: Page;
  let accountId: number;
  let serviceId: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-tariff-pages-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    const config = pluginConfigSchema.parse({
      db: { url: `sqlite:${join(dir, 'octet.db')}` },
      http: { host: '127.0.0.1', port: 0, secureCookies: false },
      billing: { currency: 'EUR', timezone: 'Europe/Berlin' },
      log: { level: 'error' },
    });
    plugin = await startPlugin(config, { logger: nullLogger });
    await plugin.ctx.services.auth.createUser({ email: 'bea@isp.example', name: 'Bea Billing', role: 'billing', password: 'a long enough password' }, 'test');
    const { catalogue, charges } = plugin.services.tariffs;
    await catalogue.create(
      {
        code: 'BUSINESS-FIBRE-1000-SYMMETRIC', name: 'Business Fibre 1000 symmetric with a long name for narrow screens', currency: 'EUR', recurringFee: '149.00',
        usage: { direction: 'both', unit: 'GB', includedUnits: '2000', charge: { model: 'volume', tiers: [{ from: '0', to: '1000', unitPrice: '0.0125' }, { from: '1000', unitPrice: '0.01', flatFee: '15.00' }] }, timeBands: [{ name: 'night', from: '00:00', to: '06:00', percent: '25' }], topUps: [{ code: 'EXTRA-1TB-BUSINESS-PACK', units: '1000', price: '9.00' }], fairUse: { capUnits: '10000', throttleRate: '100M/100M' } },
      },
      'test',
    );
    const subs = plugin.services.subscribers.subscribers;
    const account = await subs.createAccount({ name: 'Gemeinschaftspraxis Dr. Maximiliane Mustermann-Schönberger' }, 'test');
    accountId = account.id;
    serviceId = (await subs.createService(account.id, { login: 'praxis@pppoe.isp.example', tariff: 'BUSINESS-FIBRE-1000-SYMMETRIC' }, 'test')).id;
    await charges.addCharge(account.id, { code: 'STATIC-IPV4-BLOCK-29', description: 'Static IPv4 block /29 for the practice network', price: '25.00', recurring: true, fromDate: '2026-01-01' }, 'test');
    await charges.buyTopUp(serviceId, { code: 'EXTRA-1TB-BUSINESS-PACK' }, 'test');

    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      userDataDir: join(dir, 'chromium-profile'),
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setViewport(WIDTHS.desktop);
    await page.goto(`${plugin.url}/login`, { waitUntil: 'load' });
    await page.type('#email', 'bea@isp.example');
    await page.type('#password', 'a long enough password');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  });

  after(async () => {
    await browser?.close();
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function widthProblems(path: string, label: string): Promise<string[]> {
    const m = await page.evaluate(() => {
      const d = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return { scrollWidth: d.document.documentElement.scrollWidth, innerWidth: d.innerWidth };
    });
    await page.screenshot({ path: join(SCREENSHOTS, `${label}-${path.slice(1).replace(/[/?=]/g, '-')}.png`), fullPage: true });
    return m.scrollWidth > m.innerWidth ? [`${path}: page is ${m.scrollWidth} px wide in a ${m.innerWidth} px window`] : [];
  }

  for (const [label, viewport] of Object.entries(WIDTHS)) {
    it(`shows the tariff pages at ${viewport.width} px with nothing off the right edge`, async () => {
      await page.setViewport(viewport);
      const problems: string[] = [];
      const paths = ['/tariffs', '/tariffs/new', '/tariffs/BUSINESS-FIBRE-1000-SYMMETRIC', '/tariffs/try?tariff=BUSINESS-FIBRE-1000-SYMMETRIC', `/tariffs/charges?account=${accountId}`, `/tariffs/topups?service=${serviceId}`];
      for (const path of paths) {
        const res = await page.goto(`${plugin.url}${path}`, { waitUntil: 'load' });
        expect(res?.status(), path).to.equal(200);
        // Definitions are folded away; open them, as someone reading the versions would.
        await page.$$eval('details', (ds) => ds.forEach((d) => d.setAttribute('open', '')));
        problems.push(...(await widthProblems(path, label)));
      }
      // The rated result of the prefilled scenario.
      await page.goto(`${plugin.url}/tariffs/try?tariff=BUSINESS-FIBRE-1000-SYMMETRIC`, { waitUntil: 'load' });
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action="/tariffs/try"][method=post] button[type=submit]')]);
      expect(await page.$$eval('.document', (ds) => ds.length)).to.be.greaterThan(0);
      problems.push(...(await widthProblems('/tariffs/try-result', label)));
      expect(problems).to.deep.equal([]);
    });
  }

  it('lets a billing person type a graduated tariff into the form and find it in the list', async () => {
    await page.setViewport(WIDTHS.phone);
    await page.goto(`${plugin.url}/tariffs/new`, { waitUntil: 'load' });
    await page.type('#code', 'HOME-100');
    await page.type('#name', 'Home 100');
    await page.type('#currency', 'EUR');
    await page.type('#recurringFee', '24.90');
    await page.select('#chargeModel', 'graduated');
    await page.type('#tiers', '0, 50, 0.05\n50, , 0.03');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action="/tariffs"] button[type=submit]')]);
    expect(page.url()).to.equal(`${plugin.url}/tariffs/HOME-100`);
    await page.goto(`${plugin.url}/tariffs`, { waitUntil: 'load' });
    const text = await page.$eval('#tariffs', (el) => (el as unknown as { innerText: string }).innerText);
    expect(text).to.contain('HOME-100');
    expect(text).to.contain('24.90 EUR');
  });
});
