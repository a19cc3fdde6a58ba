import type { ModuleServices, PluginContext } from '../context.js';
import type { InstalledModule, PluginModule } from '../modules.js';
import { AccountsRepository } from './accounts.repository.js';
import { subscribersApi, type AccountStanding } from './api.js';
import { AccountImportService } from './import/import.service.js';
import { ImportUploadsRepository } from './import/uploads.repository.js';
import { StagedImportService } from './import/staged-import.service.js';
import { importUploadParser, subscriberPages } from './pages.js';
import { PREVIEW_PATH } from './web/import-pages.js';
import { ServicesRepository } from './services.repository.js';
import { SubscribersService, type BilledThrough } from './subscribers.service.js';
import { UnclaimedRepository } from './unclaimed.repository.js';
import { UnclaimedLoginsService } from './unclaimed.service.js';
import { usageFor } from './usage-binding.js';
import { createBillingPort, type SubscribersBillingPort } from './billing-port.js';
import { ServiceTariffs, type TariffAssignable } from './service-tariffs.js';
import { TariffHistoryRepository } from './tariff-history.repository.js';
import { buildIngest, type InventoryService } from '../ingest/index.js';
import { unassignedUsageByLogin, type UsageQueries } from '../usage/index.js';

export { reportText } from './import/report-text.js';
export type { BillableService, BillingProfile, SubscribersBillingPort } from './billing-port.js';
export type { TariffAssignable } from './service-tariffs.js';
export type { BilledThrough } from './subscribers.service.js';

export interface SubscribersParts {
  subscribers: SubscribersService;
  importer: AccountImportService;
  unclaimed: UnclaimedLoginsService;
}

/** What subscribers uses of other modules, as the composition root built them (built here when absent). */
export interface SubscribersPorts {
  usageQueries?: UsageQueries;
  inventory?: Pick<InventoryService, 'loginsAfter' | 'entriesOf'>;
  /** The tariffs module's check of a code; without it any code is accepted. */
  assignable?: TariffAssignable;
  /** Billing's port: the latest billing date whose documents carry a service; without it no change is held back. */
  billedThrough?: BilledThrough;
}

/** Builds the module's repositories and services from the shared context (CLI commands use it too). */
export function buildSubscribers(
  ctx: PluginContext,
  ports: SubscribersPorts = {},
): SubscribersParts & { staged: StagedImportService; usage: ReturnType<typeof usageFor>; billing: SubscribersBillingPort } {
  const accounts = new AccountsRepository(ctx.db, ctx.models);
  const services = new ServicesRepository(ctx.models);
  const usage = usageFor(ctx, ports.usageQueries);
  const common = { timezone: ctx.config.billing.timezone, defaultCurrency: ctx.config.billing.currency };
  const history = new TariffHistoryRepository(ctx.db, () => ctx.clock.now());
  const tariffs = new ServiceTariffs({ history, assignable: ports.assignable, clock: ctx.clock, timezone: common.timezone });
  const subscribers = new SubscribersService({ db: ctx.db, accounts, services, audit: ctx.repos.audit, usage: usage.link, tariffs, clock: ctx.clock, billedThrough: ports.billedThrough, ...common });
  const importer = new AccountImportService({ db: ctx.db, accounts, services, subscribers, audit: ctx.repos.audit, tariffHistory: history, ...common });
  const unclaimedRepo = new UnclaimedRepository(ctx.db, {
    inventory: ports.inventory ?? buildIngest(ctx).inventory,
    unassigned: (select, t) => unassignedUsageByLogin(ctx.db, select, t),
  });
  const unclaimed = new UnclaimedLoginsService({ db: ctx.db, repo: unclaimedRepo, subscribers, audit: ctx.repos.audit, ...common });
  const staged = new StagedImportService({ importer, uploads: new ImportUploadsRepository(ctx.db, ctx.clock) });
  const billing = createBillingPort({ accounts, services, history });
  return { subscribers, importer, unclaimed, staged, usage, billing };
}

export type SubscribersServices = ReturnType<typeof buildSubscribers>;

/** An account's network state (enforcement) and balance (payments), for the REST API's accounts. */
function accountStanding(ctx: PluginContext, services: ModuleServices): AccountStanding {
  return {
    async of(accountIds) {
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: ctx.config.billing.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ctx.clock.now());
      const byAccount = await services.subscribers.billing.services(accountIds);
      const states = await services.enforcement.stateOf([...byAccount.values()].flat().map((s) => s.id));
      const out = new Map<number, Awaited<ReturnType<AccountStanding['of']>> extends Map<number, infer V> ? V : never>();
      for (const id of accountIds) {
        const desired = (byAccount.get(id) ?? []).map((s) => states.get(s.id)?.desired ?? 'active');
        const b = await services.payments.balance(id, today);
        out.set(id, {
          networkStatus: desired.includes('suspended') ? 'suspended' : desired.includes('throttled') ? 'throttled' : 'active',
          balance: { currency: b.currency, balanceMinor: b.balanceMinor.toString(), openMinor: b.openMinor.toString(), overdueMinor: b.overdueMinor.toString(), creditMinor: b.creditMinor.toString() },
        });
      }
      return out;
    },
  };
}

/** Accounts and services: REST API, pages, CSV import and the routers' unclaimed logins. */
export const subscribersModule: PluginModule = {
  name: 'subscribers',
  install(ctx: PluginContext, services): InstalledModule {
    const parts = services.subscribers;
    return {
      nav: [
        { href: '/accounts', label: 'Accounts', role: 'readonly', order: 10 },
        { href: '/import/accounts', label: 'Import', role: 'billing', order: 20 },
        { href: '/inventory/unclaimed', label: 'Unclaimed logins', role: 'readonly', order: 40 },
      ],
      uploads: [{ path: PREVIEW_PATH, parse: importUploadParser() }],
      api: (router) => subscribersApi(router, parts.subscribers, accountStanding(ctx, services)),
      pages: (router) => subscriberPages(router, { ...parts, audit: ctx.repos.audit, staff: ctx.repos.users, tokens: ctx.repos.tokens, timezone: ctx.config.billing.timezone, logger: ctx.logger }),
    };
  },
};
