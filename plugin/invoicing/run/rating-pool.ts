import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { Dec } from '../../common/money.js';
import type { UsageRow } from '../../rating/index.js';
import { rateAccount, type AccountIn, type AccountRating, type RunRules } from './account-rating.js';

/**
 * Rating a chunk of accounts on a worker thread, so the run's thread parses, encodes and writes
 * the previous chunk while the next one is rated (rating is pure CPU: values in, documents out).
 *
 * - The same function rates in the worker as inline (rateAccount), so a document rated there is
 *   the document rated here, to the byte: decimals cross as their exact text, bigints, Maps and
 *   numbers by structured clone.
 * - The chunk's usage map crosses once per chunk, the catalogue once per chunk; each account
 *   gets both back as the inline path gives them (the same map for every account).
 * - A worker that fails (it cannot start, it crashes, it answers with an error) is not used
 *   again for the run: the chunk, and every later one, is rated inline. Nothing is lost.
 */
export type RateOutcome = { ok: true; result: AccountRating } | { ok: false; message: string };

type Catalogue = AccountIn['catalogue'];
export type AccountWithoutShared = Omit<AccountIn, 'usage' | 'catalogue'>;

export interface ChunkToRate {
  accounts: AccountWithoutShared[];
  catalogue: Catalogue;
  usage: Map<number, UsageRow[]>;
  T: number;
  rules: RunRules;
}

/** Rates every account of the chunk here, as the worker does. */
export function rateChunk(c: ChunkToRate): RateOutcome[] {
  return c.accounts.map((a) => {
    try {
      return { ok: true as const, result: rateAccount({ ...a, catalogue: c.catalogue, usage: c.usage }, c.T, c.rules) };
    } catch (err) {
      return { ok: false as const, message: errorMessage(err) };
    }
  });
}

// --- The wire: decimal.js instances lose their class in structured clone, so they travel as text.

const DEC = '$octetDec';

export function toWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Dec.isDecimal(v)) {
    const d = v as Dec;
    return { [DEC]: d.isZero() && d.isNeg() ? '-0' : d.toString() };
  }
  if (Array.isArray(v)) return v.map(toWire);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, toWire(x)]));
  if (v instanceof Set) return new Set([...v].map(toWire));
  if (v instanceof Date) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = toWire((v as Record<string, unknown>)[k]);
  return out;
}

export function fromWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromWire);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, fromWire(x)]));
  if (v instanceof Set) return new Set([...v].map(fromWire));
  if (v instanceof Date) return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === DEC) return new Dec(o[DEC] as string);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = fromWire(o[k]);
  return out;
}

export interface WireRequest {
  id: number;
  /** toWire of { accounts, catalogue, T, rules } */
  chunk: unknown;
  usage: Map<number, UsageRow[]>;
}

export interface WireResponse {
  id: number;
  /** toWire of RateOutcome[] */
  outcomes?: unknown;
  error?: string;
}

/**
 * One rating worker for a run, started on first use. `rate` gives the outcomes of a chunk,
 * from the worker while it works, else inline.
 */
export class RatingPool {
  private worker: Worker | null = null;
  private broken = false;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (o: RateOutcome[]) => void; chunk: ChunkToRate }>();

  constructor(private readonly logger: Logger) {}

  /** Starts the worker in the background (its start takes a moment: the first chunk is rated inline meanwhile). */
  warm(): void {
    if (this.worker || this.broken) return;
    try {
      // tsx's ESM entry (resolved like a require, then its .mjs twin: import.meta.resolve is missing where tsx compiles to CommonJS).
      const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
      const target = new URL('./rating-worker.ts', import.meta.url).href;
      // The worker registers the same TypeScript loader the plugin runs under, then loads the rater.
      const w = new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`, { eval: true });
      w.unref();
      w.on('message', (m: WireResponse) => this.answer(m));
      w.on('error', (err) => this.fail(`rating worker failed: ${errorMessage(err)}`));
      w.on('exit', (code) => this.fail(`rating worker exited (${code})`));
      this.worker = w;
    } catch (err) {
      this.fail(`rating worker could not start: ${errorMessage(err)}`);
    }
  }

  get usable(): boolean {
    return this.worker !== null && !this.broken;
  }

  rate(chunk: ChunkToRate): Promise<RateOutcome[]> {
    if (!this.usable) return Promise.resolve(rateChunk(chunk));
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve, chunk });
      try {
        const request: WireRequest = { id, chunk: toWire({ accounts: chunk.accounts, catalogue: chunk.catalogue, T: chunk.T, rules: chunk.rules }), usage: chunk.usage };
        this.worker!.postMessage(request);
      } catch (err) {
        this.fail(`rating worker refused a chunk: ${errorMessage(err)}`);
      }
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.broken = true;
    this.worker = null;
    this.settleInline();
    if (w) await w.terminate().catch(() => undefined);
  }

  private answer(m: WireResponse): void {
    const p = this.waiting.get(m.id);
    if (!p) return;
    if (m.error !== undefined) {
      this.fail(`rating worker: ${m.error}`);
      return;
    }
    this.waiting.delete(m.id);
    this.logger.debug('billing run chunk rated on the worker', { accounts: p.chunk.accounts.length });
    p.resolve(fromWire(m.outcomes) as RateOutcome[]);
  }

  /** The worker is not used again; what it still had to rate is rated here. */
  private fail(message: string): void {
    if (!this.broken) this.logger.warn('billing run rates inline', { reason: message });
    this.broken = true;
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate().catch(() => undefined);
    this.settleInline();
  }

  private settleInline(): void {
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    for (const p of pending) p.resolve(rateChunk(p.chunk));
  }
}
