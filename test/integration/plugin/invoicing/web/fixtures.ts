import type { Router } from 'express';
import type { PluginContext, ModuleServices } from '../../../../../plugin/context.js';
import { InvoicesRepository, type InvoiceRecord, type NewDocument } from '../../../../../plugin/invoicing/invoices.repository.js';
import { invoicingApi } from '../../../../../plugin/invoicing/api.js';
import { ReportsRepository } from '../../../../../plugin/invoicing/reports/reports.repository.js';
import { INVOICING_NAV, invoicingDashboard, invoicingPages, type BillingServicePort, type InvoicingWebDeps, type MailHistoryEntry, type RunProgress } from '../../../../../plugin/invoicing/web/pages.js';
import { pluginModules, type PluginModule } from '../../../../../plugin/modules.js';
import type { RatedDocument } from '../../../../../plugin/rating/index.js';
import { BUYER, ratedInvoice, SELLER } from '../../../../unit/plugin/invoicing/fixtures.js';

/** A billing service fake with the lead's API: it records calls and answers what the test sets. */
export class FakeBilling implements BillingServicePort {
  calls: Array<{ method: string; args: unknown[] }> = [];
  due = ['2026-03-01', '2026-02-01'];
  runsById = new Map<string, RunProgress>();
  nextCreditNote: { creditNoteId: string; number: string } | null = null;
  creditNoteError: Error | null = null;
  reconciliation: Awaited<ReturnType<BillingServicePort['reconcile']>> | null = null;

  run(over: Partial<RunProgress> = {}): RunProgress {
    const r: RunProgress = {
      id: String(this.runsById.size + 1), periodKey: '2026-03-01', dryRun: true, status: 'running', startedBy: 'user:1', startedAt: new Date('2026-03-10T12:00:00Z'), finishedAt: null,
      accountsSeen: 0, invoicesIssued: 0, creditNotesIssued: 0, accountsAlreadyBilled: 0, accountsFailed: 0, errors: [], preview: [], totals: [], ...over,
    };
    this.runsById.set(r.id, r);
    return r;
  }
  async start(periodKey: string, options: { dryRun: boolean; by: string }) {
    this.calls.push({ method: 'start', args: [periodKey, options] });
    return { runId: this.run({ periodKey, dryRun: options.dryRun, startedBy: options.by }).id };
  }
  async progress(runId: string) {
    const r = this.runsById.get(runId);
    if (!r) {
      const { NotFoundError } = await import('../../../../../plugin/common/errors.js');
      throw new NotFoundError(`no billing run ${runId}`);
    }
    return r;
  }
  async runs(limit = 50) {
    return [...this.runsById.values()].reverse().slice(0, limit);
  }
  async duePeriods() {
    return this.due;
  }
  async creditNote(invoiceId: string, options: { reason: string; by: string; lines?: number[]; void?: boolean }) {
    this.calls.push({ method: 'creditNote', args: [invoiceId, options] });
    if (this.creditNoteError) throw this.creditNoteError;
    return this.nextCreditNote!;
  }
  async reconcile(periodKey: string) {
    this.calls.push({ method: 'reconcile', args: [periodKey] });
    return this.reconciliation ?? { periodKey, invoices: 0, differences: [] };
  }
}

export class FakeMail {
  enqueued: Array<[string, string, string | undefined]> = [];
  /** Attempts that failed, by invoice id (H3's history rows). */
  failed = new Map<string, MailHistoryEntry[]>();
  async enqueue(invoiceId: string, to: string, _t?: unknown, createdBy?: string) {
    this.enqueued.push([invoiceId, to, createdBy]);
  }
  async history(invoiceId: string): Promise<MailHistoryEntry[]> {
    const queued = this.enqueued.filter(([id]) => id === invoiceId).map(([, to]) => ({ to, status: 'pending', attempts: 0, lastError: null, createdAt: new Date('2026-03-10T12:00:00Z'), sentAt: null }));
    return [...(this.failed.get(invoiceId) ?? []), ...queued];
  }
}

export interface Invoicing {
  billing: FakeBilling;
  mail: FakeMail;
  /** Mount the composition root's real billing service instead of the fake. */
  real?: boolean;
  /** Built on the plugin's database when the module is installed. */
  invoices?: InvoicesRepository;
  deps?: InvoicingWebDeps;
}

/** The plugin's modules with invoicing's pages and API mounted on real repositories and the fakes above. */
export function withInvoicing(state: Invoicing, usage?: InvoicingWebDeps['usage']): PluginModule[] {
  const mod: PluginModule = {
    name: 'invoicing-test',
    install(ctx: PluginContext, services: ModuleServices) {
      state.invoices ??= invoicesRepository(ctx);
      const deps: InvoicingWebDeps = {
        invoices: state.invoices,
        billing: state.real ? services.invoicing.billing : state.billing,
        reports: new ReportsRepository({ db: ctx.db }),
        delivery: { mail: state.mail },
        audit: ctx.repos.audit,
        logger: ctx.logger,
        timezone: ctx.config.billing.timezone,
        clock: ctx.clock,
        accounts: services.subscribers.billing,
        usage: usage ?? services.usage.queries,
      };
      state.deps = deps;
      return { nav: INVOICING_NAV, pages: (r: Router) => invoicingPages(r, deps), api: (r: Router) => invoicingApi(r, deps), dashboard: invoicingDashboard(deps) };
    },
  };
  return [...pluginModules.filter((m) => m.name !== 'invoicing'), mod];
}

/** An issued document from a rateScenario document (fixture: a February invoice in EUR, three lines). */
export function newDocument(accountId: number, key: string, over: { document?: RatedDocument; periodKey?: string; buyerName?: string; type?: 'invoice' | 'credit_note'; corrects?: { id: string; number: string } | null; serviceId?: number; issueDate?: string } = {}): NewDocument {
  const document = over.document ?? ratedInvoice('EUR');
  const type = over.type ?? 'invoice';
  const doc: RatedDocument = { ...document, type };
  return {
    idempotencyKey: key,
    snapshot: {
      type,
      accountId,
      periodKey: over.periodKey ?? '2026-02-01',
      currency: 'EUR',
      timezone: 'Europe/Berlin',
      paymentTermsDays: 14,
      seller: SELLER,
      buyer: { ...BUYER, name: over.buyerName ?? BUYER.name },
      branding: {},
      document: doc,
      lineServices: doc.lines.map((l) => (l.kind === 'one_off' ? null : (over.serviceId ?? null))),
      corrects: over.corrects ?? null,
      notes: [],
    },
    periodFromMs: doc.period.fromMs,
    periodToMs: doc.period.toMs,
    issueDate: over.issueDate ?? '2026-02-01',
    dueDate: '2026-02-15',
    creditedInvoiceId: over.corrects?.id ?? null,
    billingRunId: null,
    createdBy: 'test',
    usage: over.serviceId ? doc.usage.map((u) => ({ serviceId: over.serviceId!, fromMs: u.fromMs, toMs: u.toMs, kind: 'window' as const, download: u.downloadBytes, upload: u.uploadBytes })) : [],
  };
}

export async function issue(ctx: PluginContext, invoices: InvoicesRepository, docs: NewDocument[]): Promise<InvoiceRecord[]> {
  return ctx.db.transaction((t) => invoices.insertIssued(docs, t));
}

export function invoicesRepository(ctx: PluginContext): InvoicesRepository {
  return new InvoicesRepository({ db: ctx.db, clock: ctx.clock });
}
