import type { Transaction } from 'sequelize';
import { UserError } from '../common/errors.js';
import { Dec } from '../common/money.js';
import { buildDelivery } from './delivery/index.js';
import type { PluginContext } from '../context.js';
import { LeaseRepository } from '../jobs/index.js';
import type { InstalledModule, PluginModule } from '../modules.js';
import { BillingJob } from './billing.job.js';
import { BillingService, type BillingRules, type InvoiceProfile, type SubscribersBilling, type TariffsBilling, type UsageBilling } from './billing.service.js';
import { CreditNotes } from './credit-notes.js';
import { InvoicesRepository, type InvoiceRecord } from './invoices.repository.js';
import { invoicingApi } from './api.js';
import { ReportsRepository } from './reports/reports.repository.js';
import { INVOICING_NAV, invoicingDashboard, invoicingPages, type InvoicingWebDeps } from './web/pages.js';
import { BillingRunsRepository } from './run/runs.repository.js';
import type { OutboxPort } from '../webhooks/index.js';

/** What invoicing reads of other modules, as the composition root built them. */
export interface InvoicingPorts {
  subscribers: SubscribersBilling;
  tariffs: TariffsBilling;
  usage: UsageBilling;
  /** The seller and branding frozen into each document at issue. */
  profile?: () => Promise<InvoiceProfile>;
  /** Queues the PDF and e-mail of new documents, in the issuing transaction. */
  onIssued?: (issued: Array<{ id: string; accountId: number; email: string | null }>, t: Transaction) => Promise<void>;
  /** Webhooks out: invoice.issued for each new invoice, in the issuing transaction. */
  outbox?: Pick<OutboxPort, 'enqueue' | 'enqueueMany'>;
}


export function billingRules(ctx: Pick<PluginContext, 'config'>): BillingRules {
  const b = ctx.config.billing;
  return { timezone: b.timezone, cycle: b.cycle, rounding: b.rounding, taxMode: b.taxOn, invoiceOnStart: b.invoiceOnStart, defaultTax: { name: b.tax.name, percent: new Dec(b.tax.percent) } };
}

export function buildInvoicing(ctx: PluginContext, ports: InvoicingPorts) {
  const { db, clock, logger } = ctx;
  const rules = billingRules(ctx);
  const invoices = new InvoicesRepository({ db, clock });
  const delivery = buildDelivery(ctx, { invoices });
  // Each new document's PDF is queued, and its e-mail when SMTP is set and the account has an
  // address, in the issuing transaction: a document is never issued without them.
  const queueDelivery = async (issued: Array<{ id: string; accountId: number; email: string | null }>, t: Transaction) => {
    await delivery.documents.enqueue(issued.map((i) => i.id), t);
    if (!delivery.mail.enabled) return;
    for (const i of issued) {
      if (!i.email) continue;
      try {
        await delivery.mail.enqueue(i.id, i.email, t, 'system:billing');
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        logger.warn('invoice e-mail not queued: the account address is refused', { invoiceId: i.id, accountId: i.accountId, error: err.message });
      }
    }
  };
  const onIssued = ports.onIssued ?? queueDelivery;
  const announce = async (issued: Array<{ id: string; accountId: number; email: string | null; record?: InvoiceRecord }>, t: Transaction) => {
    await onIssued(issued, t);
    // Once committed, listeners (payments: credit held pays the new invoices) hear which accounts.
    if (issued.length > 0) t.afterCommit(() => ctx.events.emit('invoices.issued', { accountIds: [...new Set(issued.map((i) => i.accountId))] }));
    if (!ports.outbox || issued.length === 0) return;
    // The records as the run inserted them when it passes them (a chunk's worth), else read back.
    const records = issued.every((i) => i.record) ? issued.map((i) => i.record!) : await invoices.byIds(issued.map((i) => i.id), t);
    const payloads = records
      .filter((inv) => inv.type === 'invoice')
      .map((inv) => ({ invoiceId: inv.id, number: inv.number, accountId: inv.accountId, currency: inv.currency, totalMinor: inv.totalMinor.toString(), netMinor: inv.netMinor.toString(), taxMinor: inv.taxMinor.toString(), issueDate: inv.issueDate, dueDate: inv.dueDate, periodKey: inv.periodKey }));
    if (ports.outbox.enqueueMany) await ports.outbox.enqueueMany('invoice.issued', payloads, t);
    else for (const p of payloads) await ports.outbox.enqueue('invoice.issued', p, t);
  };
  const runs = new BillingRunsRepository({ db, clock });
  const credits = new CreditNotes({ db, clock, invoices, audit: ctx.repos.audit, rounding: rules.rounding, taxMode: rules.taxMode });
  const billing = new BillingService({
    db,
    clock,
    logger,
    invoices,
    runs,
    leases: new LeaseRepository(db),
    subscribers: ports.subscribers,
    tariffs: ports.tariffs,
    usage: ports.usage,
    profile: ports.profile ?? (() => delivery.profile.current()),
    onIssued: announce,
    rules,
    credits,
    chunkSize: ctx.config.billing.runChunk,
    leaseTtlMs: ctx.config.billing.runLeaseSeconds * 1000,
  });
  const job = new BillingJob({ billing, clock, logger, timezone: rules.timezone, cron: ctx.config.billing.schedule.cron });
  return { invoices, runs, credits, billing, job, delivery };
}

export type InvoicingServices = ReturnType<typeof buildInvoicing>;

/** Billing runs, invoices and credit notes, reports: pages, REST API, the dashboard's figures and the schedule. */
export const invoicingModule: PluginModule = {
  name: 'invoicing',
  install(ctx: PluginContext, services): InstalledModule {
    const parts = services.invoicing;
    const deps: InvoicingWebDeps = {
      invoices: parts.invoices,
      billing: parts.billing,
      reports: new ReportsRepository({ db: ctx.db }),
      audit: ctx.repos.audit,
      logger: ctx.logger,
      timezone: ctx.config.billing.timezone,
      clock: ctx.clock,
      accounts: services.subscribers.billing,
      usage: services.usage.queries,
      delivery: { mail: parts.delivery.mail.enabled ? parts.delivery.mail : undefined },
    };
    return {
      nav: [...INVOICING_NAV, ...parts.delivery.nav],
      uploads: parts.delivery.uploads,
      pages: (router) => {
        parts.delivery.pages(router);
        invoicingPages(router, deps);
      },
      api: (router) => {
        parts.delivery.api(router);
        invoicingApi(router, deps);
      },
      dashboard: invoicingDashboard(deps),
      start: () => {
        if (ctx.config.billing.schedule.enabled) parts.job.start();
        parts.delivery.job.start();
      },
      stop: async () => {
        await parts.job.stop();
        await parts.delivery.job.stop();
      },
    };
  },
};
