import { OperationalError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { ConnectionClosedError, type Browser as Chromium, type CDPSession, type Protocol } from 'puppeteer-core';
import { sha256Hex, stampPdfDates } from './deterministic.js';

export interface PdfRendererOptions {
  /** Debian's Chromium; nothing is ever downloaded. */
  executablePath: string;
  /** Pages kept open and reused (one render at a time each), spread over the browsers. */
  poolSize: number;
  /** Renders allowed to wait for a page; one more is refused (retryable) rather than queued forever. */
  queueLimit: number;
  timeoutMs: number;
  logger: Logger;
  /** Chromium processes the pages are spread over (default 2, at most poolSize): see PdfRenderer. */
  browsers?: number;
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

/** The flags any headless Chromium here gets (the benchmark's naive loop keeps its own copy). */
export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/**
 * The renderer's own Chromium: one process instead of a browser, a zygote, renderers, a GPU
 * process and a print compositor talking over IPC. Printing is a chain of hops between those
 * processes; in one process the same work takes about the same CPU but far less waiting (measured:
 * test/bench/pdf.bench.ts). The price is that a page that hangs hangs the whole browser, so an
 * overrun kills the process (see PdfRenderer).
 */
export const RENDERER_ARGS = [...CHROMIUM_ARGS, '--single-process', '--disable-extensions', '--mute-audio', '--hide-scrollbars', '--disable-breakpad', '--disable-crash-reporter'];

/** A4 and no margins: the template's @page sets size and margins (preferCSSPageSize). */
const PRINT: Protocol.Page.PrintToPDFRequest = {
  paperWidth: 8.27,
  paperHeight: 11.7,
  marginTop: 0,
  marginBottom: 0,
  marginLeft: 0,
  marginRight: 0,
  printBackground: true,
  preferCSSPageSize: true,
  generateTaggedPDF: false,
  generateDocumentOutline: false,
  transferMode: 'ReturnAsBase64',
};

/**
 * One round trip puts the document in the page and waits for what the print needs: the document
 * is written into the pooled page (no navigation, no load event), then its fonts and images
 * (inline data: URLs) are awaited.
 */
const writeAndSettle = (html: string) =>
  `(async () => { document.open(); document.write(${JSON.stringify(html)}); document.close();` +
  ` await document.fonts.ready; await Promise.all(Array.from(document.images, (i) => i.complete ? 0 : i.decode().catch(() => 0))); })()`;

/** The browser went away (crashed, was killed, or never started): what was sent to it is lost. */
class BrowserGoneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrowserGoneError';
  }
}

interface Lane {
  browser: Browser;
  targetId: string;
  /** A raw DevTools session on the page: the renderer's commands go through it (no puppeteer Page on it). */
  session: CDPSession;
}

interface Browser {
  launched: Promise<Chromium>;
  /** Set once the launch has succeeded. */
  live: Chromium | null;
  /** A session on the browser target: makes and closes the pages. */
  root: Promise<CDPSession> | null;
  pid: number | null;
  idle: Lane[];
  lanes: number;
  dead: boolean;
}

interface Queued {
  job: PdfJob;
  resolve: (pdf: RenderedPdf) => void;
  reject: (err: unknown) => void;
  /** Renders of this job lost to a browser that went away under it. */
  lost: number;
}

/** SIGKILL to a browser's process group (puppeteer launches it detached: its own group). */
function killGroup(pid: number | null | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

const sleep = (ms: number) => new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref());

/**
 * Renders HTML documents to PDF through a pool of reused pages in `browsers` single-process
 * Chromiums (two by default: one process runs all its pages' layout and printing on one thread, so
 * two use both cores), launched with puppeteer-core on first use and spoken to over the DevTools
 * pipe. Each page's render is two raw commands on its own CDP session (write-and-settle, print).
 *
 * - Every network request is refused and logged (the template is self-contained; a stray URL fails,
 *   it never fetches).
 * - A render that overruns its timeout fails (retryable) and its browser's process group is killed
 *   with SIGKILL; a hung page would otherwise hang every page of that process. The other renders
 *   that were on that browser, and those on a browser that crashed, are queued again at the front,
 *   once; a render lost twice fails with a retryable OperationalError (the PDF job retries it
 *   later). The next render launches a new browser.
 * - close() refuses what is queued, kills what is running, and returns within a few seconds.
 */
export class PdfRenderer {
  private readonly browsers: Array<Browser | null>;
  private readonly queue: Queued[] = [];
  /** Renders under way: close() fails them at once rather than leaving their callers to a dead browser's timeouts. */
  private readonly running = new Set<Queued>();
  private busy = 0;
  private closed = false;

  constructor(private readonly options: PdfRendererOptions) {
    this.browsers = Array.from({ length: Math.max(1, Math.min(options.browsers ?? 2, options.poolSize)) }, () => null);
  }

  render(job: PdfJob): Promise<RenderedPdf> {
    if (this.closed) return Promise.reject(new OperationalError('the PDF renderer is closed', { retryable: false }));
    if (this.busy >= this.options.poolSize && this.queue.length >= this.options.queueLimit) {
      return Promise.reject(new OperationalError(`PDF queue full (${this.options.queueLimit} waiting)`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject, lost: 0 });
      this.pump();
    });
  }

  /** The first running Chromium's process id, or null before the first render (operators and tests). */
  async browserPid(): Promise<number | null> {
    for (const b of this.browsers) {
      const browser = b && !b.dead ? await b.launched.catch(() => null) : null;
      if (browser?.connected && b?.pid) return b.pid;
    }
    return null;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Retryable: the job was not at fault, and a renderer started later can do it.
    for (const q of this.queue.splice(0)) q.reject(new OperationalError('the PDF renderer closed', { retryable: true }));
    for (const q of this.running) q.reject(new OperationalError('the PDF renderer closed during the render', { retryable: true }));
    const browsers = this.browsers.splice(0, this.browsers.length, ...this.browsers.map(() => null));
    await Promise.all(
      browsers.map(async (b) => {
        if (!b) return;
        b.dead = true;
        // A launch still under way is killed when it lands; close() does not wait for it.
        b.launched.then((c) => !c.connected || killGroup(c.process()?.pid), () => undefined);
        const browser = await Promise.race([b.launched.catch(() => null), sleep(2000)]);
        if (!browser || browser === 'late') return;
        const proc = browser.process();
        const exited = proc && proc.exitCode === null && proc.signalCode === null ? new Promise<void>((r) => proc.once('exit', () => r())) : Promise.resolve();
        // Asked to quit; a browser whose one thread is stuck in a page never answers: killed after 2 s.
        if ((await Promise.race([browser.close().catch(() => undefined), sleep(2000)])) === 'late') {
          killGroup(b.pid);
          await Promise.race([exited, sleep(2000)]);
        }
      }),
    );
  }

  private pump(): void {
    while (!this.closed && this.busy < this.options.poolSize && this.queue.length > 0) {
      const q = this.queue.shift()!;
      this.busy++;
      void this.run(q);
    }
  }

  /** Frees the render's place before the caller hears of it, so that a render issued in reply finds it free. */
  private settle(q: Queued, settle: () => void): void {
    this.running.delete(q);
    this.busy--;
    settle();
    this.pump();
  }

  private async run(q: Queued): Promise<void> {
    let lane: Lane | null = null;
    this.running.add(q);
    try {
      lane = await this.lane();
      const raw = await this.renderOn(lane, q.job);
      this.release(lane);
      const bytes = stampPdfDates(raw, q.job.issuedAt);
      this.settle(q, () => q.resolve({ bytes, sha256: sha256Hex(bytes) }));
    } catch (err) {
      if (lane && !(err instanceof BrowserGoneError)) this.discard(lane);
      if (err instanceof BrowserGoneError && !this.closed && q.lost++ === 0) {
        this.queue.unshift(q); // its browser went away under it: once more, first in line
        this.settle(q, () => undefined);
      } else if (err instanceof OperationalError) this.settle(q, () => q.reject(err));
      else if (err instanceof BrowserGoneError) this.settle(q, () => q.reject(new OperationalError(`PDF render lost: ${err.message}`, { cause: err })));
      else this.settle(q, () => q.reject(new OperationalError(`PDF render failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })));
    }
  }

  /** A command failed because its browser went away (killed, crashed, closing), not because of the document. */
  private gone(b: Browser, err: unknown): boolean {
    // TargetCloseError (pending commands when the pipe closed) is not in puppeteer-core's public types: known by name.
    const gone = b.dead || b.live?.connected === false || err instanceof ConnectionClosedError || (err instanceof Error && err.name === 'TargetCloseError');
    if (gone) this.kill(b); // before 'disconnected' arrives: what is queued again must not land on it
    return gone;
  }

  private async renderOn(lane: Lane, job: PdfJob): Promise<Buffer> {
    const b = lane.browser;
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.options.logger.warn('PDF render overran its timeout: its Chromium is killed', { timeoutMs: this.options.timeoutMs, pid: b.pid });
        reject(new OperationalError(`PDF render timed out after ${this.options.timeoutMs} ms`));
        this.kill(b);
      }, this.options.timeoutMs);
    });
    try {
      const work = (async () => {
        try {
          const written = await lane.session.send('Runtime.evaluate', { expression: writeAndSettle(job.html), awaitPromise: true, returnByValue: true });
          if (written.exceptionDetails) throw new Error(`the document failed: ${JSON.stringify(written.exceptionDetails).slice(0, 300)}`);
          const printed = await lane.session.send('Page.printToPDF', PRINT);
          return Buffer.from(printed.data, 'base64');
        } catch (err) {
          if (this.gone(b, err)) throw new BrowserGoneError(`Chromium went away: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          throw err;
        }
      })();
      work.catch(() => undefined); // after an overrun its rejection is nobody's business
      // The render that overran fails with the timeout; the others on its browser get BrowserGoneError (lost, retried).
      return await Promise.race([work, overrun]);
    } finally {
      clearTimeout(timer);
    }
  }

  private release(lane: Lane): void {
    if (lane.browser.dead || this.closed) return;
    lane.browser.idle.push(lane);
  }

  /** A page whose render failed is closed, so its state cannot leak into the next invoice. */
  private discard(lane: Lane): void {
    const b = lane.browser;
    if (b.dead) return;
    b.lanes--;
    void b.root?.then((root) => root.send('Target.closeTarget', { targetId: lane.targetId })).catch(() => undefined);
  }

  private kill(b: Browser): void {
    if (b.dead) return;
    b.dead = true;
    const i = this.browsers.indexOf(b);
    if (i >= 0) this.browsers[i] = null;
    killGroup(b.pid);
    b.launched.then((c) => killGroup(c.process()?.pid), () => undefined);
  }

  /** An idle page, or a new one on the browser with the fewest (launched when needed). */
  private async lane(): Promise<Lane> {
    for (const b of this.browsers) {
      const idle = b && !b.dead ? b.idle.pop() : undefined;
      if (idle) return idle;
    }
    let slot = 0;
    for (let i = 1; i < this.browsers.length; i++) {
      if ((this.browsers[i]?.lanes ?? 0) < (this.browsers[slot]?.lanes ?? 0)) slot = i;
    }
    const b = this.browsers[slot] ?? this.launch(slot);
    b.lanes++;
    let browser: Chromium;
    try {
      browser = await b.launched;
    } catch (err) {
      b.lanes--;
      // It never started (or died starting): forget it, so that the next render tries again.
      this.kill(b);
      throw new OperationalError(`cannot start Chromium: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    try {
      // Not browser.newPage(): a puppeteer Page enables Network, Log, lifecycle events, isolated worlds, ... on its
      // target, and every render would pay for their events. A bare target with one session has only what is below.
      const root = await (b.root ??= browser.target().createCDPSession());
      const { targetId } = await root.send('Target.createTarget', { url: 'about:blank', background: true });
      const { sessionId } = await root.send('Target.attachToTarget', { targetId, flatten: true });
      const session = root.connection()?.session(sessionId);
      if (!session) throw new Error(`no session ${sessionId} on the connection`);
      session.on('Fetch.requestPaused', (e) => this.onRequest(session, e));
      await session.send('Fetch.enable', { patterns: [{ urlPattern: '*' }] });
      return { browser: b, targetId, session };
    } catch (err) {
      b.lanes--;
      if (this.gone(b, err)) throw new BrowserGoneError(`Chromium went away while a page was made: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      throw err;
    }
  }

  private launch(slot: number): Browser {
    const b: Browser = { launched: null as unknown as Promise<Chromium>, live: null, root: null, pid: null, idle: [], lanes: 0, dead: false };
    // Its own profile, removed when it exits or fails to start (puppeteer's own is left behind when the spawn fails).
    const profile = mkdtempSync(join(tmpdir(), 'octet-chromium-'));
    const removeProfile = () => {
      try {
        rmSync(profile, { recursive: true, force: true });
      } catch {
        /* left for the system's tmp cleaning */
      }
    };
    b.launched = puppeteer.launch({
      executablePath: this.options.executablePath,
      pipe: true,
      headless: true,
      // Exactly the renderer's flags (puppeteer adds --remote-debugging-pipe).
      ignoreDefaultArgs: true,
      args: [...RENDERER_ARGS, `--user-data-dir=${profile}`, 'about:blank'],
      defaultViewport: null,
      // The plugin shuts down on these itself; puppeteer still kills the browser when Node exits.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: 30_000,
      // The renderer's own timer ends a render first (and kills the browser).
      protocolTimeout: this.options.timeoutMs + 30_000,
    });
    this.browsers[slot] = b;
    b.launched.then(
      (browser) => {
        b.live = browser;
        const proc = browser.process();
        b.pid = proc?.pid ?? null;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) removeProfile();
        else proc.once('exit', removeProfile);
        if (b.dead) return killGroup(b.pid);
        browser.once('disconnected', () => {
          if (b.dead) return;
          // Crashed or killed from outside: forget it and its pages; the next render launches a new one.
          this.options.logger.warn('PDF renderer: Chromium went away; it is relaunched on the next render', { pid: b.pid });
          this.kill(b);
        });
      },
      removeProfile,
    );
    return b;
  }

  private onRequest(session: CDPSession, e: Protocol.Fetch.RequestPausedEvent): void {
    const url = e.request.url;
    if (url.startsWith('data:') || url === 'about:blank') {
      session.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => undefined);
    } else {
      this.options.logger.warn('PDF render: network request refused', { url: url.slice(0, 200) });
      session.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'BlockedByClient' }).catch(() => undefined);
    }
  }
}
