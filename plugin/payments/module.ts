import { errorMessage } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import type { InvoicesRepository } from '../invoicing/index.js';
import type { InstalledModule, PluginModule } from '../modules.js';
import type { SubscribersBillingPort } from '../subscribers/index.js';
import { paymentsApi } from './api.js';
import { CreditJob } from './credit.job.js';
import { PaymentsRepository } from './payments.repository.js';
import { PaymentsService, type PaymentsDeps } from './payments.service.js';
import { PAYMENTS_NAV, paymentPages } from './web/pages.js';
import type { OutboxPort } from '../webhooks/index.js';

/** What payments reads of other modules, as the composition root built them. */
export interface PaymentsPorts {
  invoices: Pick<InvoicesRepository, 'list' | 'move'>;
  accounts: Pick<SubscribersBillingPort, 'profiles'>;
  onPaymentRecorded?: PaymentsDeps['onPaymentRecorded'];
  /** Webhooks out: payment.received, in the payment's transaction. */
  outbox?: Pick<OutboxPort, 'enqueue'>;
}

export function buildPayments(ctx: PluginContext, ports: PaymentsPorts) {
  const repository = new PaymentsRepository({ db: ctx.db, clock: ctx.clock });
  const service = new PaymentsService({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, payments: repository, invoices: ports.invoices, accounts: ports.accounts, audit: ctx.repos.audit, onPaymentRecorded: ports.onPaymentRecorded, outbox: ports.outbox });
  // Credit held (an overpayment) pays a new invoice right after it is issued, not at the credit
  // job's next pass. Idempotent: applyCredit allocates under the account's payment lock, so a
  // second call (or the job) finds nothing left; a failure here is retried by the job.
  ctx.events.on('invoices.issued', ({ accountIds }) => {
    void (async () => {
      try {
        // Only the accounts holding credit (one query per 400 accounts): a billing run issues to many.
        for (const id of await service.holdingCredit(accountIds)) {
          try {
            await service.applyCredit(id, 'system:credit-at-issue');
          } catch (err) {
            ctx.logger.warn('credit not applied at issue; the credit job retries', { accountId: id, error: errorMessage(err) });
          }
        }
      } catch (err) {
        ctx.logger.warn('credit not applied at issue; the credit job retries', { accounts: accountIds.length, error: errorMessage(err) });
      }
    })();
  });
  return service;
}

export type PaymentsServices = ReturnType<typeof buildPayments>;

/** Payments: the /payments page, account statements, and the payments REST API. */
export const paymentsModule: PluginModule = {
  name: 'payments',
  install(ctx: PluginContext, services): InstalledModule {
    const deps = { payments: services.payments, accounts: services.subscribers.billing, timezone: ctx.config.billing.timezone, clock: ctx.clock };
    const credit = new CreditJob({ payments: services.payments, logger: ctx.logger });
    return { nav: PAYMENTS_NAV, pages: (router) => paymentPages(router, deps), api: (router) => paymentsApi(router, deps), start: () => credit.start(), stop: () => credit.stop() };
  },
};
