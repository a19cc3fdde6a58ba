import type { Transaction } from 'sequelize';
import { OperationalError } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import { smtpSettings, type InvoiceRecord } from '../invoicing/index.js';
import { LeaseRepository } from '../jobs/index.js';
import type { InstalledModule, PluginModule } from '../modules.js';
import { DunningJob } from './dunning.job.js';
import { DunningRepository } from './dunning.repository.js';
import { DunningService } from './dunning.service.js';
import { FollowUpService } from './follow-up.service.js';
import type { DunningPolicy, OpenInvoice } from './policy.js';
import type { DunningInvoices, DunningSubscribers, EnforcementDesired, PaymentsOutstanding } from './ports.js';
import { ReminderMailer } from './reminder-mailer.js';
import { dunningApi } from './web/api.js';
import { DUNNING_NAV, dunningPages } from './web/pages.js';

/** What dunning reads and drives of other modules, as the composition root built them. */
export interface DunningPorts {
  subscribers: DunningSubscribers;
  /** invoicing's repository: the unpaid (issued, sent) invoices. */
  invoices: { list(filter: { type?: 'invoice'; status?: 'issued' | 'sent' }, page: { limit: number; offset: number }, t?: Transaction): Promise<{ rows: InvoiceRecord[]; total: number }> };
  /** Absent until the payments module is built: evaluating then fails with a clear error. */
  payments?: PaymentsOutstanding;
  /** Absent until the enforcement module is built: evaluating then fails with a clear error. */
  enforcement?: EnforcementDesired;
  seller?: () => Promise<string>;
}

function missing(what: string): never {
  throw new OperationalError(`dunning needs the ${what} module, which this build does not have yet`, { retryable: false });
}

export function dunningPolicy(ctx: Pick<PluginContext, 'config'>): DunningPolicy {
  const d = ctx.config.dunning;
  return { timezone: ctx.config.billing.timezone, reminders: d.reminders, graceDays: d.graceDays, suspendAfterDays: d.suspendAfterDays, minimumOverdue: d.minimumOverdue, window: d.window };
}

/** Unpaid invoices, read in pages through invoicing's repository. */
export function openInvoicesOf(invoices: DunningPorts['invoices']): DunningInvoices {
  return {
    async openInvoices(t) {
      const out = new Map<number, OpenInvoice[]>();
      for (const status of ['issued', 'sent'] as const) {
        for (let offset = 0; ; offset += 1000) {
          const { rows } = await invoices.list({ type: 'invoice', status }, { limit: 1000, offset }, t);
          for (const r of rows) {
            if (!r.dueDate || !r.number || r.totalMinor <= 0n) continue;
            if (!out.has(r.accountId)) out.set(r.accountId, []);
            out.get(r.accountId)!.push({ invoiceId: r.id, number: r.number, dueDate: r.dueDate, outstandingMinor: r.totalMinor });
          }
          if (rows.length < 1000) break;
        }
      }
      return out;
    },
  };
}

export function buildDunning(ctx: PluginContext, ports: DunningPorts) {
  const { db, clock, logger } = ctx;
  const repo = new DunningRepository({ db, clock });
  const leases = new LeaseRepository(db);
  const payments: PaymentsOutstanding = ports.payments ?? { outstanding: async () => missing('payments'), outstandingBatch: async () => missing('payments') };
  const enforcement: EnforcementDesired = ports.enforcement ?? { setDesired: async () => missing('enforcement'), stateOf: async () => missing('enforcement') };
  const invoices = openInvoicesOf(ports.invoices);
  const smtp = smtpSettings(ctx.config.smtp);
  const mailer = smtp ? new ReminderMailer(smtp, logger) : null;
  const leaseTtlMs = ctx.config.dunning.leaseSeconds * 1000;
  const policy = dunningPolicy(ctx);
  const dunning = new DunningService({ db, repo, payments, enforcement, subscribers: ports.subscribers, invoices, audit: ctx.repos.audit, mailer, leases, leaseTtlMs, seller: ports.seller, clock, logger, policy });
  const followUp = new FollowUpService({ db, repo, payments, subscribers: ports.subscribers, invoices, audit: ctx.repos.audit, clock, timezone: policy.timezone });
  const job = new DunningJob({ dunning, leases, logger, everyMinutes: ctx.config.dunning.schedule.everyMinutes, leaseTtlMs, timezone: policy.timezone });
  return {
    repo,
    dunning,
    followUp,
    job,
    /** Payments call this inside the payment's transaction (restores at once). */
    onPaymentRecorded: (accountId: number, t: Transaction) => dunning.onPaymentRecorded(accountId, t),
    ready: { payments: !!ports.payments, enforcement: !!ports.enforcement },
    close: () => mailer?.close(),
  };
}

export type DunningServices = ReturnType<typeof buildDunning>;

/** Dunning: the preview and run page, the follow-up list, the aging report and the schedule. */
export const dunningModule: PluginModule = {
  name: 'dunning',
  install(ctx: PluginContext, services): InstalledModule {
    const parts = services.dunning;
    return {
      nav: DUNNING_NAV,
      pages: (router) => dunningPages(router, { dunning: parts.dunning, followUp: parts.followUp, ready: parts.ready, logger: ctx.logger, timezone: ctx.config.billing.timezone, hostBlocks: services.host?.owns.blocking ? services.host.platform.kind : null }),
      api: (router) => dunningApi(router, { dunning: parts.dunning, ready: parts.ready }),
      start: () => {
        // Never both enforcing: where the host platform blocks overdue customers (Splynx with
        // dunning: splynx, UISP), Octet's dunning only previews and the host's blocks are mirrored.
        if (services.host?.owns.blocking) ctx.logger.info('dunning schedule not started: the host platform blocks overdue customers', { host: services.host.platform.kind });
        else if (ctx.config.dunning.schedule.enabled && parts.ready.payments && parts.ready.enforcement) parts.job.start();
        else if (ctx.config.dunning.schedule.enabled) ctx.logger.warn('dunning schedule not started: the payments or enforcement module is missing');
      },
      stop: async () => {
        await parts.job.stop();
        parts.close();
      },
    };
  },
};
