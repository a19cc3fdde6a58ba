import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../../../plugin/config.js';
import { startPlugin, type RunningPlugin } from '../../../../plugin/main.js';

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT = join(tmpdir(), 'octet-subscribers-account-page.png');
export const SCREENSHOT_IMPORT_ERRORS = join(tmpdir(), 'octet-subscribers-import-errors.png');

/**
 * A billing clerk in a real browser (Debian's Chromium): logs in, imports a CSV with one bad row,
 * reads the error, fixes the file and imports again, finds the customer and opens the account.
 */
describe('subscribers in the browser (Chromium)', function () {
  this.timeout(120_000);
  let dir: string;
  let plugin: RunningPlugin;
  let browser: Browser;
  let page: Page;

  async function submitAndWait(selector: string): Promise<void> {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  }

  const text = (selector: string) => page.$eval(selector, (el) => (el as unknown as { innerText: string }).innerText);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-browser-'));
    const config = pluginConfigSchema.parse({
      db: { url: `sqlite:${join(dir, 'octet.db')}` },
      http: { host: '127.0.0.1', port: 0, secureCookies: false },
      billing: { currency: 'EUR', timezone: 'Europe/Berlin' },
      log: { level: 'error' },
    });
    plugin = await startPlugin(config, { logger: nullLogger });
    await plugin.ctx.services.auth.createUser({ email: 'clerk@isp.example', name: 'Billing Clerk', role: 'billing', password: 'a long enough password' }, 'test');
    // The file's tariffs are in the catalogue: an import takes only those.
    for (const code of ['home-100', 'home-50']) await plugin.services.tariffs.catalogue.create({ code, name: code, currency: 'EUR', recurringFee: '10.00' }, 'test');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: join(dir, 'chromium-profile'),
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
  });

  after(async () => {
    await browser?.close();
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in, imports a file, fixes a bad row, finds the customer and opens the account', async () => {
    await page.goto(`${plugin.url}/login`, { waitUntil: 'load' });
    await page.type('#email', 'clerk@isp.example');
    await page.type('#password', 'a long enough password');
    await submitAndWait('button[type=submit]');
    expect(await text('header')).to.contain('Billing Clerk');

    const file = join(dir, 'customers.csv');
    const header = 'external_id;name;email;login;tariff;nas_name;start_date';
    writeFileSync(file, `\ufeff${header}\nK-1;Käthe Kollwitz;kaethe@example.net;kaethe@ppp;home-100;bras-1;2026-01-15\nK-2;Otto Lilienthal;otto@example;otto@ppp;home-50;bras-1;2026-01-32\n`);
    await page.goto(`${plugin.url}/import/accounts`, { waitUntil: 'load' });
    const input = await page.$('input[type=file]');
    await input!.uploadFile(file);
    await submitAndWait('form[enctype="multipart/form-data"] button[type=submit]');
    const errors = await text('#import-errors');
    expect(errors).to.contain('3\temail\tis not an e-mail address');
    expect(errors).to.contain('3\tstart_date\t2026-01-32 is not a calendar date');
    expect(await page.$('text/Confirm import')).to.equal(null);
    await page.screenshot({ path: SCREENSHOT_IMPORT_ERRORS, fullPage: true });

    writeFileSync(file, `\ufeff${header}\nK-1;Käthe Kollwitz;kaethe@example.net;kaethe@ppp;home-100;bras-1;2026-01-15\nK-2;Otto Lilienthal;otto@example.net;otto@ppp;home-50;bras-1;2026-01-31\n`);
    await page.goto(`${plugin.url}/import/accounts`, { waitUntil: 'load' });
    await (await page.$('input[type=file]'))!.uploadFile(file);
    await submitAndWait('form[enctype="multipart/form-data"] button[type=submit]');
    expect(await text('main')).to.contain('Would create 2 account(s)');
    await submitAndWait('form[action="/import/accounts/confirm"] button[type=submit]');
    expect(await text('main')).to.contain('Imported: 2 account(s) created');

    await page.goto(`${plugin.url}/accounts`, { waitUntil: 'load' });
    await page.type('#q', 'lilien');
    await submitAndWait('form[role=search] button[type=submit]');
    const rows = await page.$$eval('#accounts tbody tr', (trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText));
    expect(rows).to.have.length(1);
    expect(rows[0]).to.contain('Otto Lilienthal');
    await submitAndWait('#accounts tbody a');
    expect(await text('h1')).to.contain('Otto Lilienthal');
    const services = await text('#services');
    expect(services).to.contain('otto@ppp');
    expect(services).to.contain('2026-01-31');
    const history = await text('#history');
    expect(history).to.contain('Billing Clerk');
    expect(history).to.contain('Created the account');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
