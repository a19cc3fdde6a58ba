import { expect } from 'chai';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { startOctet } from '../../support/cli.js';
import { createLogger } from '../../../plugin/common/logger.js';
import { runDemo } from '../../../plugin/cli/demo/run-demo.js';

const ADMIN = 'admin@demo.octet.example';
const READY = /Password\s+(\S+)[\s\S]*Ctrl-C/;
/** Where the invoice page's screenshot goes (var/ is not committed). */
const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'var', 'screenshots');

type Get = (path: string) => Promise<Response>;

/** Logs in through the real form and returns a fetch that keeps the session cookie. */
async function login(base: string, email: string, password: string): Promise<Get> {
  const first = await fetch(`${base}/login`);
  const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await first.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ email, password, _csrf: csrf, next: '/' }),
  });
  expect(res.status).to.equal(303);
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return (path) => fetch(`${base}${path}`, { headers: { cookie: session } });
}

async function text(get: Get, path: string): Promise<string> {
  const res = await get(path);
  expect(res.status, path).to.equal(200);
  return res.text();
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function stopDemo(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** The invoice numbers listed on /invoices, each with its id. */
function listedInvoices(page: string): Array<{ id: string; number: string }> {
  return [...page.matchAll(/<a href="\/invoices\/(\d+)">(INV-\d+)<\/a>/g)].map((m) => ({ id: m[1]!, number: m[2]! }));
}

describe('octet demo (simulated router and NAS, agent and plugin on SQLite)', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let base: string;
  let output: string;
  let get: Get;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-demo-'));
    const started = await startOctet(['demo', '--dir', dir, '--port', '0', '--interval', '2', '--no-story'], READY, { timeoutMs: 60_000 });
    child = started.child;
    output = started.output();
    base = /Admin shell\s+(http:\/\/\S+)/.exec(output)![1]!;
    get = await login(base, ADMIN, started.match[1]!);
  });
  after(async () => {
    if (child) await stopDemo(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it("says in the terminal that last month was invoiced, with the invoices' address", () => {
    const month = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    expect(output).to.contain(`Invoiced 8 accounts for ${month}`);
    expect(output).to.contain(`${base}/invoices`);
    expect(output).to.match(/PDFs\s+16 rendered now/);
    expect(output).to.match(/Suspended 1 overdue accounts \(see http:\S+\/enforcement\); record a payment on http:\S+\/payments to restore them/);
  });

  it('lists last month\'s invoices after the older month\'s, shows the usage on one, and serves its PDF with the customer and total', async () => {
    const list = await text(get, '/invoices');
    const invoices = listedInvoices(list);
    // INV-000001..8: the month before last (one left unpaid); INV-000009..16: last month.
    expect(invoices.map((i) => i.number).sort()).to.deep.equal(Array.from({ length: 16 }, (_, i) => `INV-${String(i + 1).padStart(6, '0')}`));
    expect(list).to.contain('Grace Hopper').and.to.contain('Dennis Ritchie');

    // Ada Lovelace (fibre-100): 350 GB in the month, 150 GB over the 200 GB allowance at 0.05.
    const ada = invoices.find((i) => i.number === 'INV-000009')!;
    const page = await text(get, `/invoices/${ada.id}`);
    expect(page).to.contain('Ada Lovelace');
    expect(page).to.match(/user0001: Usage above 200 GB included/);
    expect(page).to.contain('37.40');

    const pdf = await get(`/invoices/${ada.id}/pdf`);
    expect(pdf.status).to.equal(200);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('latin1')).to.equal('%PDF');
    const file = join(dir, 'ada.pdf');
    writeFileSync(file, bytes);
    const printed = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(printed).to.contain('Ada Lovelace');
    expect(printed).to.match(/Total\s+37\.40 USD/);
    expect(printed).to.match(/Usage above 200 GB included \(per unit\)\s+150 GB/);

    // Dennis Ritchie (flat-fair): 620 GB, over the 500 GB fair-use cap; the invoice says when.
    const dennis = invoices.find((i) => i.number === 'INV-000016')!;
    expect(await text(get, `/invoices/${dennis.id}`)).to.match(/Fair use: 500 GB cap reached \d+ \w+ \d{4}/);
  });

  it('shows the billing run on the Billing runs page', async () => {
    const runs = await text(get, '/billing/runs');
    const thisMonth = new Date().toISOString().slice(0, 8) + '01';
    const row = /<tr>\s*<td class="title">[\s\S]*?<\/tr>/.exec(runs)?.[0] ?? '';
    expect(row).to.contain(`>${thisMonth}<`).and.to.contain('system:demo');
    expect(row).to.match(/data-label="Invoices" class="num">8</);
  });

  it('renders the invoice page in Chromium (screenshot in var/screenshots/)', async () => {
    const invoices = listedInvoices(await text(get, '/invoices'));
    const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, userDataDir: join(dir, 'profile'), args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`${base}/login`, { waitUntil: 'load' });
      const password = READY.exec(output)![1]!;
      await page.type('#email', ADMIN);
      await page.type('#password', password);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
      await page.goto(`${base}/invoices/${invoices.find((i) => i.number === 'INV-000011')!.id}`, { waitUntil: 'load' });
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const shown = await frame!.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
      expect(shown).to.contain('Grace Hopper').and.to.contain('Usage above 500 GB included');
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, 'demo-invoice.png');
      await page.screenshot({ path, fullPage: true });
      console.log(`      screenshot: ${path}`);
    } finally {
      await browser.close();
    }
  });

  it('shows router and RADIUS usage in the plugin pages, and the logins nobody claimed', async () => {
    // Polled PPP subscriber with an account, RADIUS subscriber with an account, and one without.
    await eventually(async () => {
      const page = await text(get, '/usage');
      return /user0003[\s\S]*?Grace Hopper/.test(page) && /radius-01[\s\S]*?Ken Thompson/.test(page) && page.includes('user0008');
    }, 60_000);
    const unassigned = await text(get, '/usage/unassigned');
    expect(unassigned).to.contain('user0008');
    expect(unassigned).not.to.contain('user0003');

    const health = (await (await fetch(/Agent health\s+(http:\/\/\S+)/.exec(output)![1]!)).json()) as { status?: string };
    expect(health).to.have.property('status');
    expect(await stopDemo(child!)).to.equal(0);
  });

  it('starts again on the same database without billing or seeding twice', async () => {
    const again = await startOctet(['demo', '--dir', dir, '--port', '0', '--interval', '2', '--no-story'], READY, { timeoutMs: 60_000 });
    child = again.child;
    const out = again.output();
    expect(out).to.match(/was invoiced before: 8 accounts/);
    const url = /Admin shell\s+(http:\/\/\S+)/.exec(out)![1]!;
    const get2 = await login(url, ADMIN, again.match[1]!);
    expect(listedInvoices(await text(get2, '/invoices'))).to.have.length(16);
    // The finished runs are found, not repeated: still the two runs on the page.
    expect((await text(get2, '/billing/runs')).match(/<a href="\/billing\/runs\//g)).to.have.length(2);
    expect(await stopDemo(child)).to.equal(0);
  });
});

describe('octet demo: an overdue customer is suspended on the router and restored by a payment', function () {
  this.timeout(90_000);
  let dir: string;
  let demo: Awaited<ReturnType<typeof runDemo>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-demo-dunning-'));
    demo = await runDemo({ dir, port: 0, intervalSeconds: 2, logger: createLogger({ level: 'error', format: 'text' }) });
  });
  after(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("blocks Alan Turing's unpaid older invoice on pop-north, and a payment of it lifts the block within 5 s", async () => {
    expect(demo.overdue.suspended).to.equal(1);
    const service = (await demo.plugin.services.subscribers.subscribers.listServices({ login: 'user0002' }, 1)).items[0]!;
    const blocked = () => [...demo.router.model.addressList.values()].some((e) => e.list === 'octet-suspended' && e.comment === `octet:${service.id}`);
    await eventually(async () => blocked(), 15_000);
    expect([...demo.router.model.addressList.values()].filter((e) => e.list === 'octet-suspended')).to.have.length(1);

    const today = new Date().toISOString().slice(0, 10);
    const owed = (await demo.plugin.services.payments.outstanding([service.accountId], today)).get(service.accountId)!;
    expect(owed.overdueMinor > 0n).to.equal(true);
    await demo.plugin.services.payments.record(
      { accountId: service.accountId, amountMinor: owed.overdueMinor, currency: owed.currency, method: 'cash', reference: 'demo e2e', receivedAt: new Date(), source: 'manual', externalId: null },
      'e2e',
    );
    const paidAt = Date.now();
    await eventually(async () => !blocked(), 5_000);
    expect(Date.now() - paidAt).to.be.below(5_000);

    const state = (await demo.plugin.services.enforcement.stateOf([service.id])).get(service.id);
    expect(state?.desired).to.equal('active');
    const get = await login(demo.url, demo.adminEmail, demo.adminPassword);
    expect(await text(get, '/enforcement')).not.to.contain('user0002');
  });
});
