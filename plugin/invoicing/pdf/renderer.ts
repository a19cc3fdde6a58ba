import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { OperationalError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { sha256Hex, stampPdfDates } from './deterministic.js';

export interface PdfRendererOptions {
  /** Debian's Chromium; puppeteer-core never downloads a browser. */
  executablePath: string;
  /** Pages kept open and reused (one render at a time each). */
  poolSize: number;
  /** Renders allowed to wait for a page; one more is refused (retryable) rather than queued forever. */
  queueLimit: number;
  timeoutMs: number;
  logger: Logger;
}

export interface RenderedPdf {
  bytes: Buffer;
  sha256: string;
}

export interface PdfJob {
  html: string;
  /** The invoice's issue instant: the PDF's creation and modification dates. */
  issuedAt: Date;
}

export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/**
 * Renders HTML documents to PDF in one Chromium per process, launched on first use, through a
 * pool of reused pages. Why it is faster than setContent per invoice: a pooled page stays on
 * about:blank and gets each document by document.write in one evaluate, so there is no
 * navigation and no load event to wait for; system fonts are already in the browser's cache.
 * Every network request is refused (the template is self-contained; a stray URL fails, it never
 * fetches). A crashed browser is relaunched by the next render; a render that overruns its
 * timeout has its page thrown away.
 */
export class PdfRenderer {
  private browser: Promise<Browser> | null = null;
  private idle: Page[] = [];
  private pages = 0;
  private waiting: Array<{ resolve: (p: Page) => void; reject: (e: unknown) => void }> = [];
  private closed = false;

  constructor(private readonly options: PdfRendererOptions) {}

  async render(job: PdfJob): Promise<RenderedPdf> {
    if (this.closed) throw new OperationalError('the PDF renderer is closed', { retryable: false });
    const page = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    let healthy = true;
    try {
      const work = this.renderOn(page, job);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new OperationalError(`PDF render timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      const raw = await Promise.race([work, timeout]);
      const bytes = stampPdfDates(raw, job.issuedAt);
      return { bytes, sha256: sha256Hex(bytes) };
    } catch (err) {
      healthy = false;
      if (err instanceof OperationalError) throw err;
      throw new OperationalError(`PDF render failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      this.release(page, healthy);
    }
  }

  /** The running Chromium's process id, or null before the first render (operators and tests). */
  async browserPid(): Promise<number | null> {
    const b = await this.browser?.catch(() => null);
    return b?.process()?.pid ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new OperationalError('the PDF renderer closed', { retryable: false }));
    const browser = this.browser;
    this.browser = null;
    this.idle = [];
    if (browser) await (await browser.catch(() => null))?.close().catch(() => undefined);
  }

  private async renderOn(page: Page, job: PdfJob): Promise<Buffer> {
    await page.evaluate((html: string) => {
      const d = (globalThis as unknown as { document: { open(): void; write(h: string): void; close(): void } }).document;
      d.open();
      d.write(html);
      d.close();
    }, job.html);
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true, tagged: false, outline: false });
    return Buffer.from(pdf);
  }

  private async acquire(): Promise<Page> {
    const page = this.idle.pop();
    if (page) return page;
    if (this.pages < this.options.poolSize) {
      this.pages++;
      try {
        return await this.newPage();
      } catch (err) {
        this.pages--;
        throw err instanceof OperationalError ? err : new OperationalError(`cannot start Chromium: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    if (this.waiting.length >= this.options.queueLimit) {
      throw new OperationalError(`PDF queue full (${this.options.queueLimit} waiting)`);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(page: Page, healthy: boolean): void {
    if (this.closed) return;
    if (healthy && !page.isClosed()) {
      const next = this.waiting.shift();
      if (next) next.resolve(page);
      else this.idle.push(page);
      return;
    }
    // A page that failed or overran is replaced, so its state cannot leak into the next invoice.
    this.pages = Math.max(0, this.pages - 1);
    page.close().catch(() => undefined);
    const next = this.waiting.shift();
    if (next) this.acquire().then(next.resolve, next.reject);
  }

  private async newPage(): Promise<Page> {
    const browser = await this.launch();
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(true);
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      // data: URLs (the logo) never reach the network; everything else is refused.
      if (req.url().startsWith('data:') || req.url() === 'about:blank') void req.continue();
      else {
        this.options.logger.warn('PDF render: network request refused', { url: req.url().slice(0, 200) });
        void req.abort('blockedbyclient');
      }
    });
    return page;
  }

  private launch(): Promise<Browser> {
    if (!this.browser) {
      const started = puppeteer.launch({ executablePath: this.options.executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
      this.browser = started;
      started.then(
        (b) =>
          b.on('disconnected', () => {
            if (this.browser !== started) return;
            // Crashed or killed: forget it and its pages; the next render launches a new one.
            this.options.logger.warn('PDF renderer: Chromium went away; it is relaunched on the next render');
            this.browser = null;
            this.idle = [];
            this.pages = 0;
          }),
        () => {
          if (this.browser === started) this.browser = null;
        },
      );
    }
    return this.browser;
  }
}
