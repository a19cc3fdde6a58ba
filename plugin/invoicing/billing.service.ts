import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { ConflictError, errorMessage, ValidationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { Dec } from '../common/money.js';
import type { Database } from '../db/database.js';
import type { LeaseRepository } from '../jobs/index.js';
import { constantOffsetStretches, utcBandCuts, type AccountTax, type UsageRow } from '../rating/index.js';
import type { Branding, Party } from './document/invoice-view.js';
import { runKey } from './invoice.js';
import type { BilledUsageRow, InvoiceRecord, InvoicesRepository, NewDocument } from './invoices.repository.js';
import { serviceSpan, usageWindow, type AccountDocument, type AccountIn, type AccountRating, type ChargeIn, type DiscountIn, type RunRules, type ServiceIn, type TariffVersionIn } from './run/account-rating.js';
import { RatingPool, rateChunk, type AccountWithoutShared, type ChunkToRate } from './run/rating-pool.js';
import { issueDates } from './run/issue-dates.js';
import { adjustmentLines, mergeExtra, type PendingAdjustment } from './run/adjustments.js';
import type { CreditNotes } from './credit-notes.js';
import { reconcile, type Reconciliation } from './run/reconcile.js';
import type { BillingRunsRepository, PreviewRow, RunCounters, RunProgress } from './run/runs.repository.js';

export type { RunProgress } from './run/runs.repository.js';

/**
 * Billing runs: `octet bill`, the schedule and the page all come here.
 *
 * - A run is for a billing date (a period key, the local date YYYY-MM-DD a period starts on;
 *   `2026-12` means `2026-12-01`). It walks the accounts with a service in the last period, in
 *   chunks, rates each (run/account-rating.ts) and issues, per chunk, in one transaction: the
 *   numbers from the counter rows, the invoices with their lines and billed usage, the usage
 *   windows closed in usage's port, the late adjustments carried.
 * - Idempotent per account and date: an invoice's key is (account, date); an account already
 *   billed is counted and skipped. Resumable: a run killed mid-way leaves whole chunks issued
 *   and nothing half-written; the next run for the date issues the rest.
 * - One run per date at a time across every plugin instance: a database lease (its expiry on the
 *   database's clock), proven by every issuing transaction (a fencing token), so a stalled run
 *   that lost its lease writes nothing. A second run waits for the lease, then finds the
 *   accounts billed.
 * - A dry run takes no lease and writes nothing but its own progress row: no number is taken.
 */
export interface SubscribersBilling {
  billableAccounts(fromDate: string, toDate: string, afterId: number, limit: number, t?: Transaction): Promise<number[]>;
  profiles(accountIds: number[], t?: Transaction): Promise<Map<number, BillingProfileIn>>;
  services(accountIds: number[], t?: Transaction): Promise<Map<number, ServiceIn[]>>;
}

export interface BillingProfileIn {
  accountId: number;
  externalId: string | null;
  name: string;
  email: string | null;
  billingEmail: string | null;
  addressLines: string[];
  taxId: string | null;
  currency: string;
  tax: { kind: 'rate'; name: string | null; percent: string | null } | { kind: 'exempt'; reason: string };
  paymentTermsDays: number | null;
}

export interface TariffsBilling {
  versionsByCode(codes: string[], t?: Transaction): Promise<Map<string, { entry: { status: string }; versions: TariffVersionIn[] }>>;
  chargesFor(accountIds: number[], t?: Transaction): Promise<Array<ChargeIn & { accountId: number }>>;
  /** Active discounts of these accounts (absent: none). */
  discountsFor?(accountIds: number[], t?: Transaction): Promise<Array<DiscountIn & { accountId: number }>>;
  topUpsFor(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Array<{ serviceId: number; code: string; atMs: number }>>;
}

export interface UsageBilling {
  usageRows(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Map<number, UsageRow[]>>;
  usageTotals(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Map<number, { download: bigint; upload: bigint }>>;
  /** Buckets summed per segment of the UTC day between `cuts` (minutes), over a window of constant UTC offset (absent: the run reads every bucket). */
  usageBySegments?(serviceIds: number[], fromMs: number, toMs: number, cuts: readonly number[], t?: Transaction): Promise<Map<number, UsageRow[]>>;
  closeWindows(windows: Array<{ serviceId: number; fromMs: number; toMs: number; download: bigint; upload: bigint }>, closedBy: string, t: Transaction): Promise<void>;
  pendingAdjustments(serviceIds: number[], t: Transaction): Promise<PendingAdjustment[]>;
  markCarried(adjustmentIds: string[], carriedBy: string, t: Transaction): Promise<void>;
}

export interface InvoiceProfile {
  seller: Party;
  branding: Partial<Branding>;
  paymentTermsDays: number;
}

export interface BillingRules extends RunRules {
  defaultTax: { name: string; percent: Dec };
}

export interface BillingDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  invoices: InvoicesRepository;
  runs: BillingRunsRepository;
  leases: LeaseRepository;
  subscribers: SubscribersBilling;
  tariffs: TariffsBilling;
  usage: UsageBilling;
  profile: () => Promise<InvoiceProfile>;
  /** Called in the issuing transaction with the new documents (queues their PDF and e-mail). */
  onIssued?: (issued: Array<{ id: string; accountId: number; email: string | null; record?: InvoiceRecord }>, t: Transaction) => Promise<void>;
  rules: BillingRules;
  credits: CreditNotes;
  chunkSize?: number;
  leaseTtlMs?: number;
  /** How long a run waits for another holding the date's lease (then it fails, saying who holds it). */
  leaseWaitMs?: number;
  /**
   * Rate the chunks after the first on a worker thread (run/rating-pool.ts). Off by default: on
   * the 2-core bench machine, shared with the database, it measured slower than rating inline.
   */
  ratingWorker?: boolean;
  /** The smallest chunk size the worker is used for (default 200: smaller chunks rate in less time than the worker takes to start). */
  ratingWorkerFromChunk?: number;
}

const KEY = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/;

/** `2026-12` or `2026-12-15` -> `2026-12-01` / `2026-12-15`, checked. */
export function periodKeyOf(text: string): string {
  const m = KEY.exec(text.trim());
  const date = m ? DateTime.fromISO(`${m[1]}-${m[2]}-${m[3] ?? '01'}`, { zone: 'UTC' }) : null;
  if (!m || !date?.isValid) throw new ValidationError(`not a billing period: ${JSON.stringify(text)}; give the month (2026-12) or the date a period starts on (2026-12-15)`, [{ field: 'period', message: 'give the month (2026-12) or the date a period starts on (2026-12-15)' }]);
  return date.toISODate()!;
}

type CatalogueEntry = { entry: { status: string }; versions: TariffVersionIn[] };
type CatalogueOf = (codes: string[]) => Promise<Map<string, CatalogueEntry>>;

interface ChunkResult {
  counters: RunCounters;
  preview: PreviewRow[];
  totals: Map<string, { invoiced: bigint; credited: bigint }>;
  errors: Array<{ accountId: number; message: string }>;
}

export class BillingService {
  private readonly chunk: number;
  private readonly datesMemo = new Map<string, ReturnType<typeof issueDates>>();

  constructor(private readonly deps: BillingDeps) {
    this.chunk = deps.chunkSize ?? 500;
  }

  /** Starts a run and returns its id at once; the run goes on in the background. */
  async start(periodKey: string, options: { dryRun: boolean; by: string }): Promise<{ runId: string; done: Promise<RunProgress> }> {
    const key = periodKeyOf(periodKey);
    if (DateTime.fromISO(key, { zone: this.deps.rules.timezone }).toMillis() > this.deps.clock.now().getTime()) {
      throw new ValidationError(`the period starting ${key} has not begun yet`, [{ field: 'period', message: 'bill a date that has come' }]);
    }
    const runId = await this.deps.runs.create(key, options.dryRun, options.by);
    const done = this.execute(runId, key, options).catch(async (err: unknown) => {
      this.deps.logger.error('billing run failed', { runId, period: key, error: errorMessage(err) });
      await this.deps.runs.fail(runId, errorMessage(err)).catch(() => undefined);
      return this.deps.runs.get(runId);
    });
    return { runId, done };
  }

  /** Runs to the end and returns the result (the CLI). */
  async run(periodKey: string, options: { dryRun: boolean; by: string }): Promise<RunProgress> {
    return (await this.start(periodKey, options)).done;
  }

  progress(runId: string): Promise<RunProgress> {
    return this.deps.runs.get(runId);
  }

  runs(limit = 20): Promise<RunProgress[]> {
    return this.deps.runs.list(limit);
  }

  /** A credit note for the whole invoice (void: true also voids the invoice) or chosen lines (credit-notes.ts). */
  creditNote(invoiceId: string, options: { reason: string; by: string; lines?: number[]; void?: boolean }): Promise<{ creditNoteId: string; number: string }> {
    return this.deps.credits.creditNote(invoiceId, options);
  }

  /** Billed bytes against hourly usage for every issued invoice of the date (run/reconcile.ts). */
  reconcile(periodKey: string): Promise<Reconciliation> {
    return reconcile(periodKeyOf(periodKey), { invoices: this.deps.invoices, usage: this.deps.usage });
  }

  /** The billing dates a run can be started for now: today's if a period starts today, the current month's and the previous month's first. */
  async duePeriods(): Promise<string[]> {
    const today = DateTime.fromJSDate(this.deps.clock.now(), { zone: this.deps.rules.timezone }).startOf('day');
    const out = new Set<string>([today.toISODate()!, today.startOf('month').toISODate()!, today.startOf('month').minus({ months: 1 }).toISODate()!]);
    return [...out].sort().reverse();
  }

  private async execute(runId: string, key: string, options: { dryRun: boolean; by: string }): Promise<RunProgress> {
    const { rules } = this.deps;
    const T = DateTime.fromISO(key, { zone: rules.timezone }).toMillis();
    const lease = options.dryRun ? null : await this.takeLease(key, runId);
    const counters: RunCounters = { accountsSeen: 0, invoicesIssued: 0, creditNotesIssued: 0, accountsAlreadyBilled: 0, accountsFailed: 0 };
    const preview: PreviewRow[] = [];
    const totals = new Map<string, { invoiced: bigint; credited: bigint }>();
    const fromDate = DateTime.fromMillis(T, { zone: rules.timezone }).minus({ months: 1, days: 1 }).toISODate()!;
    const toDate = DateTime.fromMillis(T, { zone: rules.timezone }).plus({ days: 1 }).toISODate()!;
    // The catalogue read once per run (per tariff code), not once per chunk.
    const tariffsSeen = new Map<string, CatalogueEntry | null>();
    const catalogueOf: CatalogueOf = async (codes) => {
      const missing = codes.filter((c) => !tariffsSeen.has(c));
      if (missing.length) {
        const read = await this.deps.tariffs.versionsByCode(missing);
        for (const c of missing) tariffsSeen.set(c, read.get(c) ?? null);
      }
      return new Map(codes.flatMap((c) => (tariffsSeen.get(c) ? [[c, tariffsSeen.get(c)!] as const] : [])));
    };
    const pool = this.deps.ratingWorker !== true || this.chunk < (this.deps.ratingWorkerFromChunk ?? 200) ? null : new RatingPool(this.deps.logger);
    try {
      let chunks = 0;
      const next = async (after: number) => {
        const ids = await this.deps.subscribers.billableAccounts(fromDate, toDate, after, this.chunk);
        if (ids.length === 0) return null;
        // A full first chunk means more may follow: the worker starts while this one is rated here.
        if (++chunks === 1 && ids.length === this.chunk) pool?.warm();
        return { last: ids[ids.length - 1]!, issue: await this.prepareChunk(ids, T, key, runId, options, lease, chunks > 1 ? pool : null, catalogueOf) };
      };
      for (let chunk = await next(0); chunk; ) {
        const following = next(chunk.last);
        following.catch(() => undefined);
        const r = await chunk.issue();
        for (const k of Object.keys(counters) as Array<keyof RunCounters>) counters[k] += r.counters[k];
        if (preview.length < 200) preview.push(...r.preview.slice(0, 200 - preview.length));
        for (const [c, v] of r.totals) {
          const cur = totals.get(c) ?? { invoiced: 0n, credited: 0n };
          totals.set(c, { invoiced: cur.invoiced + v.invoiced, credited: cur.credited + v.credited });
        }
        await this.deps.runs.addErrors(runId, r.errors);
        await this.deps.runs.report(runId, counters, { preview, totals: totalsJson(totals), failure: null });
        if (lease) await this.deps.leases.renew(lease);
        chunk = await following;
      }
    } finally {
      await pool?.close();
      if (lease) await this.deps.leases.release(lease).catch(() => undefined);
    }
    await this.deps.runs.finish(runId, 'finished');
    this.deps.logger.info('billing run finished', { runId, period: key, dryRun: options.dryRun, ...counters });
    return this.deps.runs.get(runId);
  }

  private async takeLease(key: string, runId: string) {
    const name = `billing:${key}`;
    const holder = `run ${runId} ${randomUUID().slice(0, 8)}`;
    const ttl = this.deps.leaseTtlMs ?? 30_000;
    // Waiting is real time (a settable clock may stand still in tests and demos).
    const deadline = Date.now() + (this.deps.leaseWaitMs ?? 10 * 60_000);
    for (;;) {
      const lease = await this.deps.leases.acquire(name, holder, ttl);
      if (lease) return lease;
      if (Date.now() > deadline) throw new ConflictError(`another billing run holds the period ${key}; try again when it has finished`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * Reads and rates one chunk of accounts; the function it returns issues them (in one
   * transaction). The run reads and rates the next chunk while the database writes this one.
   */
  private async prepareChunk(ids: number[], T: number, key: string, runId: string, options: { dryRun: boolean; by: string }, lease: Awaited<ReturnType<LeaseRepository['acquire']>>, pool: RatingPool | null, catalogueOf: CatalogueOf): Promise<() => Promise<ChunkResult>> {
    const { rules } = this.deps;
    const counters: RunCounters = { accountsSeen: ids.length, invoicesIssued: 0, creditNotesIssued: 0, accountsAlreadyBilled: 0, accountsFailed: 0 };
    const errors: ChunkResult['errors'] = [];
    const preview: PreviewRow[] = [];
    const totals = new Map<string, { invoiced: bigint; credited: bigint }>();
    const isBilled = (have: Set<string>, id: number) => have.has(runKey('invoice', id, key)) || have.has(runKey('credit_note', id, key));
    const billed = await this.deps.invoices.existingKeys(ids.flatMap((id) => [runKey('invoice', id, key), runKey('credit_note', id, key)]));
    const todo = ids.filter((id) => !isBilled(billed, id));
    counters.accountsAlreadyBilled = ids.length - todo.length;
    if (todo.length === 0) return async () => ({ counters, preview, totals, errors });

    const [profiles, services, charges, discounts] = await Promise.all([this.deps.subscribers.profiles(todo), this.deps.subscribers.services(todo), this.deps.tariffs.chargesFor(todo), this.deps.tariffs.discountsFor?.(todo) ?? []]);
    const allServices = [...services.values()].flat();
    const firstDates = await this.deps.invoices.firstBilledDates(allServices.map((s) => s.id));
    for (const s of allServices) {
      const first = firstDates.get(s.id);
      s.firstBilledMs = first === undefined ? null : DateTime.fromISO(first, { zone: rules.timezone }).toMillis();
    }
    const codes = [...new Set(allServices.flatMap((s) => s.tariffs.map((h) => h.code)))];
    const catalogue = await catalogueOf(codes);
    const sids = allServices.map((s) => s.id);
    const usage = await this.usageOf(allServices, catalogue, T);
    let fromMs = T;
    for (const s of allServices) {
      const w = usageWindow(s, T, rules);
      if (w) fromMs = Math.min(fromMs, w.previousDateMs, w.fromMs);
    }
    const topUps = fromMs < T ? await this.deps.tariffs.topUpsFor(sids, fromMs, T + 1) : [];
    const profile = await this.deps.profile();

    const rated: Array<{ accountId: number; p: BillingProfileIn; input: AccountIn; result: AccountRating }> = [];
    const chunkCatalogue: AccountIn['catalogue'] = new Map(codes.filter((c) => catalogue.has(c)).map((c) => [c, { status: catalogue.get(c)!.entry.status, versions: catalogue.get(c)!.versions }]));
    const chargesOf = groupBy(charges, (c) => c.accountId);
    const discountsOf = groupBy(discounts, (d) => d.accountId);
    const accountOf = new Map([...services].flatMap(([accountId, list]) => list.map((s) => [s.id, accountId] as const)));
    const topUpsOf = groupBy(topUps, (t) => accountOf.get(t.serviceId));
    const inputs: Array<{ accountId: number; p: BillingProfileIn; a: AccountWithoutShared }> = [];
    for (const accountId of todo) {
      const p = profiles.get(accountId);
      if (!p) continue;
      const own = services.get(accountId) ?? [];
      inputs.push({ accountId, p, a: { accountId, currency: p.currency, tax: this.taxOf(p), services: own, charges: chargesOf.get(accountId) ?? [], topUps: topUpsOf.get(accountId) ?? [], discounts: discountsOf.get(accountId) ?? [] } });
    }
    // The first chunk is rated here; later ones on the run's rating worker, while this thread issues the chunk before.
    const outcomes = await (pool ?? INLINE).rate({ accounts: inputs.map((x) => x.a), catalogue: chunkCatalogue, usage, T, rules });
    inputs.forEach(({ accountId, p, a }, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) {
        counters.accountsFailed++;
        errors.push({ accountId, message: outcome.message });
        return;
      }
      const result = outcome.result;
      if (result.errors.length) {
        counters.accountsFailed++;
        errors.push(...result.errors.map((message) => ({ accountId, message })));
        return;
      }
      rated.push({ accountId, p, input: { ...a, catalogue: chunkCatalogue, usage }, result });
    });

    return async () => {
      const issue = async (t: Transaction | null, skip: Set<number> = new Set()) => {
        const docs: NewDocument[] = [];
        const windows: Parameters<UsageBilling['closeWindows']>[0] = [];
        const carried: Array<{ ids: string[]; key: string }> = [];
        const firstBilled: number[] = [];
        // Figures of this attempt only (a transaction that is retried starts them again).
        const totals = new Map<string, { invoiced: bigint; credited: bigint }>();
        const preview: PreviewRow[] = [];
        const pending = t ? await this.deps.usage.pendingAdjustments(rated.flatMap((r) => r.input.services.map((s) => s.id)), t) : [];
        for (const { accountId, p, input, result } of rated) {
          if (skip.has(accountId)) continue;
          const mine = pending.filter((a) => input.services.some((s) => s.id === a.serviceId));
          const adj = t && mine.length ? await adjustmentLines(mine, input, rules, { invoices: this.deps.invoices, usage: this.deps.usage, tariffs: this.deps.tariffs }, t) : { invoiceLines: [], creditLines: [], usage: [], ids: [] };
          const withAdj = (d: AccountDocument | null, extra: typeof adj.invoiceLines, type: 'invoice' | 'credit_note') => (extra.length ? mergeExtra(d, extra, type, T, input, rules) : d);
          const invoice = withAdj(result.invoice, adj.invoiceLines, 'invoice');
          const credit = withAdj(result.credit, adj.creditLines, 'credit_note');
          const usageRows: BilledUsageRow[] = [...result.windows.map((w) => ({ ...w, kind: 'window' as const })), ...adj.usage];
          const cur = totals.get(p.currency) ?? { invoiced: 0n, credited: 0n };
          cur.invoiced += invoice?.document.totals.totalMinor ?? 0n;
          cur.credited += credit?.document.totals.totalMinor ?? 0n;
          totals.set(p.currency, cur);
          if (preview.length < 200) preview.push({ accountId, name: p.name, currency: p.currency, lines: (invoice?.document.lines.length ?? 0) + (credit?.document.lines.length ?? 0), totalMinor: String(invoice?.document.totals.totalMinor ?? 0n), creditMinor: String(credit?.document.totals.totalMinor ?? 0n) });
          if (!invoice && !credit) continue;
          const invoiceKey = runKey(invoice ? 'invoice' : 'credit_note', accountId, key);
          for (const [type, d] of [['invoice', invoice], ['credit_note', credit]] as const) {
            if (!d) continue;
            docs.push(this.newDocument(type, d, accountId, key, p, profile, runId, options.by, type === (invoice ? 'invoice' : 'credit_note') ? usageRows : []));
          }
          windows.push(...result.windows);
          firstBilled.push(...result.firstBilled);
          if (adj.ids.length) carried.push({ ids: adj.ids, key: invoiceKey });
        }
        if (!t) return { docs, issued: [], totals, preview };
        const issued = await this.deps.invoices.insertIssued(docs, t);
        await this.deps.invoices.recordFirstBilled(firstBilled, key, t);
        await this.deps.usage.closeWindows(windows, `invoice run ${runId}`, t);
        for (const c of carried) await this.deps.usage.markCarried(c.ids, c.key, t);
        if (this.deps.onIssued) await this.deps.onIssued(issued.map((i) => ({ id: i.id, accountId: i.accountId, email: profiles.get(i.accountId)?.billingEmail ?? profiles.get(i.accountId)?.email ?? null, record: i })), t);
        return { docs, issued, totals, preview };
      };

      if (options.dryRun) {
        const r = await issue(null);
        return { counters, preview: r.preview, totals: r.totals, errors };
      }
      const already = counters.accountsAlreadyBilled;
      const lateSkips: ChunkResult['errors'] = [];
      const { issued, totals, preview } = await this.deps.db.transaction(async (t) => {
        counters.accountsAlreadyBilled = already;
        lateSkips.length = 0;
        await this.deps.leases.prove(lease!, t);
        // Another run (before this one took the lease) may have billed some of these: skip them.
        const now = await this.deps.invoices.existingKeys(rated.flatMap((r) => [runKey('invoice', r.accountId, key), runKey('credit_note', r.accountId, key)]), t);
        const skip = new Set(rated.filter((r) => isBilled(now, r.accountId)).map((r) => r.accountId));
        counters.accountsAlreadyBilled += skip.size;
        // A run of another date may have carried a service first since it was read: rated as not
        // carried, it would be billed twice; such an account waits for the next run.
        const carriedMeanwhile = await this.deps.invoices.firstBilledDates(rated.flatMap((r) => (skip.has(r.accountId) ? [] : r.result.firstBilled)), t, true);
        for (const r of rated) {
          const by = r.result.firstBilled.map((id) => carriedMeanwhile.get(id)).find((k) => k !== undefined);
          if (by === undefined || skip.has(r.accountId)) continue;
          skip.add(r.accountId);
          lateSkips.push({ accountId: r.accountId, message: `a service of the account was first billed by the run for ${by} while this run rated it; run this date again` });
        }
        return issue(t, skip);
        // A conflict rolled the chunk back whole (numbers included): it runs again, proving the lease again.
      }, { retryConflicts: true });
      counters.invoicesIssued = issued.filter((i) => i.type === 'invoice').length;
      counters.creditNotesIssued = issued.filter((i) => i.type === 'credit_note').length;
      counters.accountsFailed += lateSkips.length;
      return { counters, preview, totals, errors: [...errors, ...lateSkips] };
    };
  }

  /**
   * The usage rows the rating of these services reads. Where the rating needs only the window's
   * totals (no time band, no fair-use cap in any of the service's tariffs, and nothing that cuts
   * the window: no start, end or tariff change inside it), the database sums the window and one
   * row carries the sum: the same rating, without a month of buckets per service crossing the wire.
   */
  private async usageOf(services: ServiceIn[], catalogue: Awaited<ReturnType<TariffsBilling['versionsByCode']>>, T: number): Promise<Map<number, UsageRow[]>> {
    const { rules } = this.deps;
    const simple = new Map<number, number[]>();
    // Banded services by window start and by the band sets of their tariffs (whose edges cut the day).
    const banded = new Map<string, { from: number; bandSets: Array<TariffVersionIn['tariff']['timeBands']>; ids: number[] }>();
    const detailed: ServiceIn[] = [];
    const bySegments = this.deps.usage.usageBySegments?.bind(this.deps.usage);
    for (const s of services) {
      const w = usageWindow(s, T, rules);
      if (!w || w.fromMs >= T) continue;
      const versions = s.tariffs.flatMap((h) => catalogue.get(h.code)?.versions ?? []);
      const fairUse = versions.some((v) => v.tariff.fairUse !== null);
      const bands = versions.some((v) => v.tariff.timeBands.length > 0);
      const span = serviceSpan(s, rules.timezone);
      const cut = !w.plain || span.startMs > w.previousDateMs || (span.endMs !== null && span.endMs < T) || s.tariffs.some((h, i) => i > 0 && h.fromMs > w.previousDateMs && h.fromMs < T);
      // Time bands alone need only where in the local day the bytes came: the sums between band edges.
      if (fairUse || cut || (bands && !bySegments)) detailed.push(s);
      else if (bands) {
        const bandSets = versions.map((v) => v.tariff.timeBands).filter((b) => b.length > 0);
        const k = `${w.previousDateMs} ${JSON.stringify(bandSets.map((b) => b.map((x) => [x.from, x.to])))}`;
        const group = banded.get(k) ?? { from: w.previousDateMs, bandSets, ids: [] };
        group.ids.push(s.id);
        banded.set(k, group);
      } else simple.set(w.previousDateMs, [...(simple.get(w.previousDateMs) ?? []), s.id]);
    }
    const out = new Map<number, UsageRow[]>();
    // The three kinds of read go at once, on their own connections (none is in a transaction): the database has more than one core.
    const totals = async () => {
      for (const [from, ids] of simple) {
        for (const [id, sum] of await this.deps.usage.usageTotals(ids, from, T)) out.set(id, [{ hourMs: from, download: sum.download, upload: sum.upload }]);
      }
    };
    const bandedRows = async () => {
      for (const { from, bandSets, ids } of banded.values()) {
        for (const [a, b] of constantOffsetStretches(from, T, rules.timezone)) {
          const cuts = utcBandCuts(bandSets, DateTime.fromMillis(a, { zone: rules.timezone }).offset);
          for (const [id, rows] of await bySegments!(ids, a, b, cuts)) out.set(id, [...(out.get(id) ?? []), ...rows]);
        }
      }
    };
    const detailedRows = async () => {
      if (detailed.length === 0) return;
      const from = Math.min(...detailed.map((s) => usageWindow(s, T, rules)!.fromMs));
      for (const [id, rows] of await this.deps.usage.usageRows(detailed.map((s) => s.id), from, T)) out.set(id, rows);
    };
    // Each service is in exactly one of the three groups, so their writes to `out` never meet.
    await Promise.all([totals(), bandedRows(), detailedRows()]);
    return out;
  }

  private taxOf(p: BillingProfileIn): AccountTax {
    if (p.tax.kind === 'exempt') return { kind: 'exempt', reason: p.tax.reason };
    return { kind: 'rate', name: p.tax.name ?? this.deps.rules.defaultTax.name, percent: p.tax.percent === null ? this.deps.rules.defaultTax.percent : new Dec(p.tax.percent) };
  }

  private newDocument(type: 'invoice' | 'credit_note', d: AccountDocument, accountId: number, key: string, p: BillingProfileIn, profile: InvoiceProfile, runId: string, by: string, usage: BilledUsageRow[]): NewDocument {
    const { rules } = this.deps;
    const now = this.deps.clock.now().getTime();
    const terms = p.paymentTermsDays ?? profile.paymentTermsDays;
    // Dated the day it is issued, due by the terms from then; a back-dated run names its billing date (run/issue-dates.ts).
    const memoKey = `${now}|${key}|${d.document.period.fromMs}|${d.document.period.toMs}|${type}|${terms}|${rules.timezone}`;
    let dates = this.datesMemo.get(memoKey);
    if (!dates) {
      // The same few answers for a whole run (zone arithmetic per document was a tenth of a run's CPU).
      dates = issueDates(now, key, d.document.period, type, terms, rules.timezone);
      if (this.datesMemo.size > 1000) this.datesMemo.clear();
      this.datesMemo.set(memoKey, dates);
    }
    const document = { ...d.document, issuedAtMs: now };
    return {
      idempotencyKey: runKey(type, accountId, key),
      snapshot: {
        type,
        accountId,
        periodKey: key,
        currency: p.currency,
        timezone: rules.timezone,
        paymentTermsDays: type === 'invoice' ? terms : 0,
        seller: profile.seller,
        buyer: { name: p.name, addressLines: p.addressLines, taxId: p.taxId, email: p.billingEmail ?? p.email, customerNumber: p.externalId ?? String(accountId) },
        branding: profile.branding,
        document,
        lineServices: d.lineServices,
        corrects: null,
        notes: [...dates.notes],
      },
      periodFromMs: d.document.period.fromMs,
      periodToMs: d.document.period.toMs,
      issueDate: dates.issueDate,
      dueDate: dates.dueDate,
      creditedInvoiceId: null,
      billingRunId: runId,
      createdBy: by.slice(0, 100),
      usage,
    };
  }
}

/** Rating on this thread: a run's first chunk, and every chunk of a run without its worker. */
const INLINE = { rate: async (c: ChunkToRate) => rateChunk(c) };

function groupBy<T, K>(list: T[], key: (x: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of list) {
    const k = key(x);
    const cur = out.get(k);
    if (cur) cur.push(x);
    else out.set(k, [x]);
  }
  return out;
}

function totalsJson(totals: Map<string, { invoiced: bigint; credited: bigint }>): RunProgress['totals'] {
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ currency, invoicedMinor: v.invoiced.toString(), creditedMinor: v.credited.toString() }));
}
