/**
 * Invoice PDFs per second on this machine: the naive loop against Octet's renderer.
 *
 *   npx tsx test/bench/pdf.bench.ts [--invoices 40] [--rounds 5] [--pool 4] [--browsers 2]
 *
 * Naive: one Chromium, a pool of 4 pages, per invoice `page.setContent(html)` (puppeteer's
 * default: wait for the load event) then `page.pdf()` with defaults, launched with NAIVE_ARGS (the
 * flags the renderer had before it got its own, kept here so that the baseline never gets the
 * renderer's tricks). Octet: PdfRenderer (plugin/invoicing/pdf) with a pool of the same size, over
 * `--browsers` single-process Chromiums (the renderer's default when absent). Both render the same invoices (each with
 * its own number and customer) from the same template, 4 at a time. Rounds alternate (naive,
 * Octet, naive, ...) so that load from other work on the machine hits both alike; the figure is
 * the median of the per-round ratios, with their range. A breakdown of the naive loop (time in
 * setContent vs in pdf) is printed to show where the time goes. Prints one JSON line last.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import puppeteer, { type Page } from 'puppeteer-core';
import { nullLogger } from '../../plugin/common/logger.js';
import { loadInvoiceTemplate } from '../../plugin/invoicing/document/template.js';
import { PdfRenderer } from '../../plugin/invoicing/pdf/renderer.js';
import { BUYER, invoiceView } from '../unit/plugin/invoicing/fixtures.js';

const { values } = parseArgs({ options: { invoices: { type: 'string', default: '40' }, rounds: { type: 'string', default: '5' }, pool: { type: 'string', default: '4' }, browsers: { type: 'string' } } });
const INVOICES = Number(values.invoices);
const ROUNDS = Number(values.rounds);
const POOL = Number(values.pool);
const BROWSERS = values.browsers === undefined ? undefined : Number(values.browsers);
const CHROMIUM = '/usr/bin/chromium';
const TARGET = 2;
/** The naive loop's flags: what Octet launched before its renderer got its own. Not to be tuned. */
const NAIVE_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

const template = loadInvoiceTemplate();
const jobs = Array.from({ length: INVOICES }, (_, i) => {
  const v = invoiceView({ number: `INV-2026-${String(100000 + i)}`, buyer: { ...BUYER, name: `${BUYER.name} ${i}`, customerNumber: `K-${200000 + i}` } });
  return { html: template(v), issuedAt: new Date(v.issuedAtIso) };
});

/** Runs `work` over every job with `width` in flight at once. */
async function inParallel<T>(items: T[], width: number, work: (item: T, lane: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async (_, lane) => {
      while (next < items.length) await work(items[next++]!, lane);
    }),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const naiveBrowser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: NAIVE_ARGS });
  const pages: Page[] = await Promise.all(Array.from({ length: POOL }, () => naiveBrowser.newPage()));
  const renderer = new PdfRenderer({ executablePath: CHROMIUM, poolSize: POOL, queueLimit: INVOICES, timeoutMs: 60_000, logger: nullLogger, browsers: BROWSERS });
  let setContentMs = 0;
  let pdfMs = 0;
  let bytesNaive = 0;
  let bytesOctet = 0;
  const shaOf = new Map<(typeof jobs)[number], string>();
  const load0 = loadavg();

  const naiveRound = async () => {
    const t0 = performance.now();
    await inParallel(jobs, POOL, async (job, lane) => {
      const page = pages[lane]!;
      const a = performance.now();
      await page.setContent(job.html);
      const b = performance.now();
      // Awaited first, then added: `x += await y` would add to the value x had before the await and lose other lanes' bytes.
      const size = (await page.pdf({ format: 'A4', printBackground: true })).length;
      bytesNaive += size;
      setContentMs += b - a;
      pdfMs += performance.now() - b;
    });
    return performance.now() - t0;
  };
  const octetRound = async () => {
    const t0 = performance.now();
    await inParallel(jobs, POOL, async (job) => {
      const pdf = await renderer.render(job);
      bytesOctet += pdf.bytes.length;
      // Every round renders the same invoices again: each must give the bytes of its first render.
      const first = shaOf.get(job);
      if (first === undefined) shaOf.set(job, pdf.sha256);
      else if (first !== pdf.sha256) throw new Error(`invoice ${jobs.indexOf(job)}: re-render gave other bytes (${pdf.sha256} vs ${first})`);
    });
    return performance.now() - t0;
  };

  // Warm-up: both browsers started, pages created, fonts loaded.
  await naiveRound();
  await octetRound();
  setContentMs = pdfMs = bytesNaive = bytesOctet = 0;

  const rows: Array<{ naivePerSec: number; octetPerSec: number; ratio: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const naive = await naiveRound();
    const octet = await octetRound();
    const row = { naivePerSec: (INVOICES / naive) * 1000, octetPerSec: (INVOICES / octet) * 1000, ratio: naive / octet };
    rows.push(row);
    console.log(`round ${r + 1}: naive ${row.naivePerSec.toFixed(1)} PDF/s, octet ${row.octetPerSec.toFixed(1)} PDF/s, ratio ${row.ratio.toFixed(2)}x`);
  }
  const n = INVOICES * ROUNDS;
  console.log(`naive loop, per invoice (4 in flight): setContent ${(setContentMs / n).toFixed(1)} ms, pdf ${(pdfMs / n).toFixed(1)} ms; PDF size naive ${Math.round(bytesNaive / n)} B, octet ${Math.round(bytesOctet / n)} B`);
  const ratios = rows.map((r) => r.ratio);
  const result = {
    invoices: INVOICES,
    rounds: ROUNDS,
    pool: POOL,
    naivePdfPerSec: Number(median(rows.map((r) => r.naivePerSec)).toFixed(1)),
    octetPdfPerSec: Number(median(rows.map((r) => r.octetPerSec)).toFixed(1)),
    medianRatio: Number(median(ratios).toFixed(2)),
    ratioRange: [Number(Math.min(...ratios).toFixed(2)), Number(Math.max(...ratios).toFixed(2))],
    target: TARGET,
    met: median(ratios) >= TARGET,
    sameBytesOnRerender: true,
    loadAverage: { before: load0.map((x) => Number(x.toFixed(2))), after: loadavg().map((x) => Number(x.toFixed(2))) },
  };
  console.log(`median ratio ${result.medianRatio}x (range ${result.ratioRange[0]}-${result.ratioRange[1]}x), target ${TARGET}x: ${result.met ? 'met' : 'NOT met'}; re-renders gave the same bytes; load average before ${result.loadAverage.before.join(' ')}, after ${result.loadAverage.after.join(' ')} (2 cores)`);
  await renderer.close();
  await naiveBrowser.close();
  console.log(JSON.stringify(result));
}

await main();
