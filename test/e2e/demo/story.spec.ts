import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createLogger } from '../../../plugin/common/logger.js';
import { runDemo, type RunningDemo } from '../../../plugin/cli/demo/run-demo.js';
import type { StoryAct, StoryEvent } from '../../../plugin/cli/demo/story.js';

/** Where the story's screenshots go for a person to look at (var/ is not committed). */
const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'var', 'screenshots', 'story');

/**
 * The demo's story, act by act, on the real parts: the simulated routers and NAS, the agent, the
 * plugin on SQLite, and Chromium looking at the pages between the acts. The test holds each act
 * until it has looked, so nothing here depends on how fast this machine is.
 */
describe('octet demo story: a month of traffic, an overdue customer suspended and restored, a fair-use cap, the billing day', function () {
  this.timeout(240_000);
  let dir: string;
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  const events: StoryEvent[] = [];
  /** Per act: the story is waiting at it (reached), and the test lets it go (open). */
  const acts = new Map<StoryAct, { reached: Promise<void>; signal: () => void; gate: Promise<void>; open: () => void }>();
  for (const act of ['payments', 'month-end', 'billing-day', 'payment'] as StoryAct[]) {
    let signal!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((r) => (signal = r));
    const gate = new Promise<void>((r) => (open = r));
    acts.set(act, { reached, signal, gate, open });
  }
  let announce: (e: StoryEvent) => void = () => undefined;

  /** Lets `act` start and resolves when it is done. */
  async function play(act: StoryAct): Promise<StoryEvent> {
    const done = new Promise<StoryEvent>((resolve) => (announce = (e) => e.act === act && resolve(e)));
    const a = acts.get(act)!;
    await a.reached;
    a.open();
    const event = await done;
    expect(event.line, event.line).not.to.match(/The story stopped/);
    return event;
  }

  async function shot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async function visit(path: string): Promise<string> {
    const res = await page.goto(`${demo.url}${path}`, { waitUntil: 'load' });
    expect(res?.status(), path).to.equal(200);
    return page.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
  }

  async function serviceOf(login: string): Promise<{ id: number; accountId: number }> {
    const s = (await demo.plugin.services.subscribers.subscribers.listServices({ login }, 1)).items[0]!;
    return { id: s.id, accountId: s.accountId };
  }

  const suspendedOnRouter = (serviceId: number) => [...demo.router.model.addressList.values()].some((e) => e.list === 'octet-suspended' && e.comment === `octet:${serviceId}`);
  const queueOnRouter = (serviceId: number) => [...demo.router.model.queues.values()].find((q) => q.comment === `octet:${serviceId}`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-story-'));
    demo = await runDemo({
      dir,
      port: 0,
      intervalSeconds: 2,
      logger: createLogger({ level: 'error', format: 'text' }),
      story: { paceSeconds: 1, onEvent: (e) => (events.push(e), announce(e)), waitForNext: async (act) => {
          acts.get(act)!.signal();
          await acts.get(act)!.gate;
        },
      },
    });
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, userDataDir: join(dir, 'profile'), args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${demo.url}/login`, { waitUntil: 'load' });
    await page.type('#email', demo.adminEmail);
    await page.type('#password', demo.adminPassword);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts at the wall clock with last month invoiced and one customer (Alan Turing) already suspended', async () => {
    expect(Math.abs(demo.clock.now().getTime() - Date.now())).to.be.below(60_000);
    expect(demo.billing.invoiced).to.equal(8);
    expect(demo.overdue.suspended).to.equal(1);
    expect(demo.south.model.sessions.size).to.equal(240);
  });

  it('records the payments of last month from everyone but Edsger Dijkstra', async () => {
    const e = await play('payments');
    expect(e.line).to.match(/^Payments: 6 customers paid last month's invoices by bank transfer; Edsger Dijkstra did not/);
    const shown = await visit('/payments');
    // Last month's invoices are INV-000009..16 in account order; Edsger Dijkstra's is the fourth.
    expect(shown).to.contain('INV-000009').and.to.contain('INV-000016');
    expect(shown).not.to.contain('INV-000012');
    await shot('1-payments');
  });

  it('a month later: Edsger is overdue and suspended on pop-north, Frances Allen is throttled at her fair-use cap', async () => {
    const before = Date.now();
    const e = await play('month-end');
    const tz = demo.plugin.ctx.config.billing.timezone;
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: tz, day: '2-digit' }).format(demo.clock.now());
    expect(Number(local)).to.be.greaterThanOrEqual(28);
    expect(demo.clock.aheadMs).to.be.greaterThan(Date.now() - before);
    expect(e.line).to.match(/Edsger Dijkstra's invoice is overdue: dunning suspended 1 account/);

    const edsger = await serviceOf('user0004');
    const frances = await serviceOf('user0006');
    expect(suspendedOnRouter(edsger.id)).to.equal(true);
    expect(queueOnRouter(frances.id)?.maxLimit).to.equal('2M/2M');
    const shown = await visit('/enforcement');
    expect(shown).to.contain('user0004').and.to.contain('user0006').and.to.contain('user0002');
    await shot('2-month-end-enforcement');
    // A month of traffic reached the plugin: Edsger's usage this month is hundreds of GB.
    const monthStart = new Date(demo.clock.now().getTime() - 25 * 86_400_000).getTime();
    const used = await demo.plugin.services.usage.queries.serviceUsage(edsger.id, monthStart, demo.clock.now().getTime());
    expect(used.download > 300_000_000_000n, `downloaded ${used.download}`).to.equal(true);
  });

  it('billing day: the run issues the month\'s invoices with PDFs, Frances\'s first one prorated with her fair-use day, and her throttle lifts', async () => {
    const e = await play('billing-day');
    expect(e.line).to.match(/The billing run issued 9 invoices for \w+ \d{4}, 9 PDFs rendered/);
    const frances = await serviceOf('user0006');
    expect(queueOnRouter(frances.id)).to.equal(undefined);

    const { rows } = await demo.plugin.services.invoicing.invoices.list({ type: 'invoice' }, { limit: 200, offset: 0 });
    expect(rows).to.have.length(8 + 8 + 9);
    const hers = rows.find((r) => r.accountId === frances.accountId)!;
    const shown = await visit(`/invoices/${hers.id}`);
    await shot('3-billing-day-invoice');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const document = await frame!.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
    expect(shown + document).to.contain('Frances Allen');
    expect(document).to.match(/Fair use: [\d.,]+ GB cap reached \d+ \w+ \d{4}/);

    const pdf = await fetch(`${demo.url}/invoices/${hers.id}/pdf`, { headers: { cookie: (await page.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
    expect(pdf.status).to.equal(200);
    const file = join(dir, 'frances.pdf');
    writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    expect(execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })).to.contain('Frances Allen');
    await visit('/billing/runs');
    await shot('3-billing-runs');
  });

  it('Edsger pays: he is restored on pop-north within 5 s, and owes nothing', async () => {
    const e = await play('payment');
    const seconds = Number(/restored on pop-north ([\d.]+) s after/.exec(e.line)?.[1]);
    expect(seconds).to.be.below(5);
    const edsger = await serviceOf('user0004');
    expect(suspendedOnRouter(edsger.id)).to.equal(false);
    expect((await demo.plugin.services.enforcement.stateOf([edsger.id])).get(edsger.id)?.desired).to.equal('active');
    const today = demo.clock.now().toISOString().slice(0, 10);
    expect((await demo.plugin.services.payments.outstanding([edsger.accountId], today)).get(edsger.accountId)?.overdueMinor ?? 0n).to.equal(0n);
    const shown = await visit('/enforcement');
    expect(shown).not.to.contain('user0004');
    expect(shown).to.contain('user0002');
    await visit(`/accounts/${edsger.accountId}`);
    await shot('4-payment-account');
    expect(events.map((x) => x.act)).to.deep.equal(['payments', 'month-end', 'billing-day', 'payment']);
  });
});
