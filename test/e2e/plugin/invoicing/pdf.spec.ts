import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { OperationalError } from '../../../../plugin/common/errors.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { loadInvoiceTemplate } from '../../../../plugin/invoicing/document/template.js';
import { PdfRenderer } from '../../../../plugin/invoicing/pdf/renderer.js';
import { BUYER, invoiceView } from '../../../unit/plugin/invoicing/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const template = loadInvoiceTemplate();

/** pdftotext (poppler-utils) reads the PDF as an independent reader would. */
function pdfText(dir: string, bytes: Buffer): string {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, bytes);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

describe('invoice PDFs from Chromium', function () {
  this.timeout(120_000);
  let dir: string;
  let renderer: PdfRenderer;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-pdf-'));
    renderer = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 2, queueLimit: 8, timeoutMs: 30_000, logger: nullLogger });
  });
  after(async () => {
    await renderer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const render = (v = invoiceView()) => renderer.render({ html: template(v), issuedAt: new Date(v.issuedAtIso) });

  it('has the number, the customer, every line with its amount, and the total in its text', async () => {
    const v = invoiceView();
    const pdf = await render(v);
    expect(pdf.bytes.subarray(0, 5).toString()).to.equal('%PDF-');
    const text = pdfText(dir, pdf.bytes);
    expect(text).to.include(v.number);
    expect(text).to.include(v.buyer.name);
    for (const l of v.lines) {
      expect(text).to.include(l.description);
      expect(text).to.include(l.amount);
    }
    expect(text).to.match(new RegExp(`Total\\s+${v.totals.total.replace(/[.]/g, '\\.')}`));
  });

  it('gives the same bytes when an issued invoice is rendered again later, with their SHA-256', async () => {
    const first = await render();
    await new Promise((r) => setTimeout(r, 1100)); // Chromium stamps seconds: make the clock move
    const second = await render();
    expect(second.bytes.equals(first.bytes)).to.equal(true);
    expect(first.sha256).to.equal(createHash('sha256').update(first.bytes).digest('hex'));
    expect(first.bytes.toString('latin1')).to.include("/CreationDate (D:20260131230000+00'00')");
  });

  it('prints a customer called <script>…</script> as text', async () => {
    const name = '<script>document.title="owned"</script> Müller & Co';
    const text = pdfText(dir, (await render(invoiceView({ buyer: { ...BUYER, name } }))).bytes);
    expect(text).to.include(name);
  });

  it('fetches nothing from the network, even when the HTML asks for it', async () => {
    let requests = 0;
    const server: Server = createServer((_req, res) => {
      requests++;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const html = `<!DOCTYPE html><html><head><link rel="stylesheet" href="${url}/a.css"><style>@font-face{font-family:x;src:url(${url}/f.woff)} body{font-family:x}</style></head><body>offline<img src="${url}/logo.png"><iframe src="${url}/frame"></iframe></body></html>`;
      const refused: string[] = [];
      const logger = { ...nullLogger, warn: (_m: string, meta?: Record<string, unknown>) => void refused.push(String(meta?.url)) };
      const watched = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 1, queueLimit: 1, timeoutMs: 30_000, logger });
      try {
        const pdf = await watched.render({ html, issuedAt: new Date('2026-02-01T00:00:00Z') });
        expect(pdfText(dir, pdf.bytes)).to.include('offline');
        // The page stays loaded in the pool: give a stray request time to go out.
        for (let i = 0; i < 20 && refused.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await watched.close();
      }
      expect(requests).to.equal(0);
      expect(refused).to.include.members([`${url}/a.css`, `${url}/logo.png`]);
    } finally {
      server.close();
    }
  });

  it('relaunches Chromium on the next render after it crashed', async () => {
    await render();
    const pid = await renderer.browserPid();
    expect(pid).to.be.a('number');
    process.kill(pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const pdf = await render();
    expect(pdfText(dir, pdf.bytes)).to.include(invoiceView().number);
    expect(await renderer.browserPid()).to.not.equal(pid);
  });

  it('renders that were in flight when Chromium crashed are rendered again on a relaunched one, none lost', async () => {
    const one = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 3, queueLimit: 8, timeoutMs: 30_000, logger: nullLogger, browsers: 1 });
    try {
      await one.render({ html: template(invoiceView()), issuedAt: new Date() });
      const pid = (await one.browserPid())!;
      const views = [1, 2, 3, 4, 5].map((i) => invoiceView({ number: `INV-2026-90000${i}` }));
      const renders = views.map((v) => one.render({ html: template(v), issuedAt: new Date(v.issuedAtIso) }));
      await new Promise((r) => setTimeout(r, 20)); // three on their pages, two queued
      process.kill(pid, 'SIGKILL');
      const pdfs = await Promise.all(renders);
      pdfs.forEach((pdf, i) => expect(pdfText(dir, pdf.bytes)).to.include(views[i]!.number));
      expect(await one.browserPid()).to.be.a('number').and.not.equal(pid);
    } finally {
      await one.close();
    }
  });

  it('on a render that overruns its timeout: fails it (retryable), kills its Chromium, re-renders its neighbours, and the next render works on a new one', async () => {
    const warned: string[] = [];
    const logger = { ...nullLogger, warn: (m: string) => void warned.push(m) };
    const quick = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 2, queueLimit: 1, timeoutMs: 1500, logger, browsers: 1 });
    const hangs = '<html><body><script>for(;;){}</script></body></html>';
    try {
      // Not an invoice first: the invoice's Content-Security-Policy stays on its page and would stop the loop below.
      await quick.render({ html: '<html><body>warm</body></html>', issuedAt: new Date() });
      const pid = (await quick.browserPid())!;
      const hung = quick.render({ html: hangs, issuedAt: new Date() });
      // The hung page blocks every page of its (single-process) browser: this one is caught in it.
      const v = invoiceView();
      const neighbour = quick.render({ html: template(v), issuedAt: new Date(v.issuedAtIso) });
      const err = await hung.then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(OperationalError);
      expect((err as OperationalError).message).to.match(/timed out after 1500 ms/);
      expect((err as OperationalError).retryable).to.equal(true);
      expect(pdfText(dir, (await neighbour).bytes)).to.include(v.number);
      expect(warned.some((m) => /overran/.test(m))).to.equal(true);
      // SIGKILLed: the old process is gone (signal 0 probes it).
      expect(() => process.kill(pid, 0)).to.throw();
      const pdf = await quick.render({ html: template(v), issuedAt: new Date(v.issuedAtIso) });
      expect(pdfText(dir, pdf.bytes)).to.include(v.number);
      expect(await quick.browserPid()).to.be.a('number').and.not.equal(pid);
    } finally {
      await quick.close();
    }
  });

  it('close() returns within seconds while a render hangs, and that render fails', async () => {
    const stuck = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 1, queueLimit: 1, timeoutMs: 60_000, logger: nullLogger });
    const hung = stuck.render({ html: '<html><body><script>for(;;){}</script></body></html>', issuedAt: new Date() }).then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1500)); // launched and looping
    const t0 = Date.now();
    await stuck.close();
    expect(Date.now() - t0).to.be.below(5000);
    expect(await hung).to.be.instanceOf(OperationalError);
  });

  it('close() while Chromium is still starting fails the render at once, as retryable, and leaves no browser behind', async () => {
    const starting = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 1, queueLimit: 1, timeoutMs: 60_000, logger: nullLogger });
    const render = starting.render({ html: '<html><body>x</body></html>', issuedAt: new Date() }).then(() => null, (e: unknown) => e);
    const t0 = Date.now();
    await starting.close();
    const err = await render;
    expect(Date.now() - t0).to.be.below(5000);
    expect(err).to.be.instanceOf(OperationalError);
    expect((err as OperationalError).retryable, 'a render cut by a shutdown is tried again later').to.equal(true);
    expect(await starting.browserPid()).to.equal(null);
  });

  it('refuses a render when the queue is full instead of queueing without bound', async () => {
    const small = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 1, queueLimit: 1, timeoutMs: 30_000, logger: nullLogger });
    try {
      const v = invoiceView();
      const job = { html: template(v), issuedAt: new Date(v.issuedAtIso) };
      await small.render(job); // the page exists
      const results = await Promise.allSettled([small.render(job), small.render(job), small.render(job)]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected']);
      const reason = (results[2] as PromiseRejectedResult).reason as OperationalError;
      expect(reason).to.be.instanceOf(OperationalError);
      expect(reason.message).to.match(/queue full/);
    } finally {
      await small.close();
    }
  });
});
