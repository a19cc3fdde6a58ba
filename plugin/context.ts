import type { AuditRepository } from './audit/index.js';
import type { ApiTokensRepository, AuthService, UsersRepository } from './auth/index.js';
import type { Clock } from './common/clock.js';
import type { Logger } from './common/logger.js';
import type { PluginConfig } from './config.js';
import type { Database } from './db/database.js';
import type { Models } from './db/models/index.js';
import type { PluginEvents } from './events.js';
import type { IngestServices } from './ingest/index.js';
import type { NetworkService } from './network/index.js';
import type { SettingsRepository } from './settings/index.js';
import type { SubscribersServices } from './subscribers/index.js';
import type { TariffsServices } from './tariffs/index.js';
import type { InvoicingServices } from './invoicing/index.js';
import type { DunningServices } from './dunning/index.js';
import type { PaymentsServices, StatementsServices } from './payments/index.js';
import type { BillingUsagePort, UsageServices } from './usage/index.js';
import type { EnforcementServices } from './enforcement/index.js';
import type { HostServices } from './host/index.js';
import type { WebhooksServices } from './webhooks/index.js';

/** What the plugin's composition root builds once and hands to every module. */
export interface PluginContext {
  config: PluginConfig;
  logger: Logger;
  clock: Clock;
  db: Database;
  models: Models;
  /** Notifications between modules (ingest -> usage rollup). */
  events: PluginEvents;
  repos: {
    users: UsersRepository;
    tokens: ApiTokensRepository;
    audit: AuditRepository;
    settings: SettingsRepository;
  };
  services: {
    auth: AuthService;
  };
}

/**
 * Every module's services, built once per program by the composition root (plugin/main.ts) and
 * shared by `octet serve`, the CLI commands and the demo.
 */
export interface ModuleServices {
  ingest: IngestServices;
  usage: UsageServices;
  subscribers: SubscribersServices;
  network: NetworkService;
  /** The billing read port: a service's billable usage with its completeness. */
  billingUsage: BillingUsagePort;
  /** The tariff catalogue, extra charges and top-ups (its `port` is what billing reads). */
  tariffs: TariffsServices;
  /** Billing runs, invoices, credit notes. */
  invoicing: InvoicingServices;
  /** Reminders, suspension of overdue accounts, restoration on payment; follow-up and aging. */
  dunning: DunningServices;
  /** Desired network state per service (suspend, throttle), what agents applied; setDesired/stateOf. */
  enforcement: EnforcementServices;
  /** Payments, allocation, credit, refunds, balances; `outstanding` for dunning. */
  payments: PaymentsServices;
  /** Bank statements (camt.053, CSV), the unmatched queue, payment webhooks. */
  statements: StatementsServices;
  /** Webhooks out: the outbox other modules write events to, endpoints, the delivery worker. */
  webhooks: WebhooksServices;
  /** The host platform (standalone, Splynx, UISP), what it owns (`owns.blocking`: Octet's dunning must not enforce) and its sync. */
  host: HostServices;
}
