import type { ModuleServices, PluginContext } from '../../context.js';
import type { InstalledModule, PluginModule } from '../../modules.js';
import { gatewaysConfigSchema, type GatewaysConfig } from '../gateways/config.js';
import { GatewayEventsRepository } from '../gateways/gateway-events.repository.js';
import { webhookRoutes } from '../gateways/routes.js';
import { WebhookService, type RefundPort } from '../gateways/webhook.service.js';
import type { MatchLookups, RecordPort } from './ports.js';
import { StatementImportService } from './statement-import.service.js';
import { StatementsRepository } from './statements.repository.js';
import { STATEMENT_PREVIEW_PATH, statementPages, statementUploadParser } from './web/pages.js';

/**
 * Bank statements (camt.053, CSV) and payment gateway webhooks: how money that arrived elsewhere
 * becomes payments. Records only through the payments port (`record`, and `refund` for gateway
 * refunds), matches through invoicing's and subscribers' ports.
 */
export { parseCamt053, type Camt053File } from './camt053.js';
export { parseCsvStatement, validateMapping, type CsvMapping } from './csv-statement.js';
export { matchLookups } from './lookups.js';
export type { MatchLookups, PaymentsPort, PaymentToRecord, RecordPort } from './ports.js';
export type { StatementLine, ReadStatement } from './statement-line.js';
export { StatementImportService, type ImportReport } from './statement-import.service.js';

export interface StatementsPorts {
  payments: RecordPort & Partial<RefundPort>;
  lookups: MatchLookups;
  /** The webhook secrets (`payments` section of the config); default: none configured. */
  gateways?: GatewaysConfig;
}

export function buildStatements(ctx: PluginContext, ports: StatementsPorts) {
  const repo = new StatementsRepository(ctx.db, ctx.clock);
  const importer = new StatementImportService({ repo, lookups: ports.lookups, payments: ports.payments, audit: ctx.repos.audit, logger: ctx.logger });
  const webhooks = new WebhookService({ events: new GatewayEventsRepository(ctx.db, ctx.clock), queue: repo, payments: ports.payments, lookups: ports.lookups, logger: ctx.logger });
  return { repo, importer, webhooks, gateways: ports.gateways ?? gatewaysConfigSchema.parse({}) };
}

export type StatementsServices = ReturnType<typeof buildStatements>;

/**
 * What statements adds to the HTTP surface: pages /statements and /statements/unmatched (login,
 * roles, CSRF; the upload's multipart parser), and the webhooks as raw routes (verified by
 * signature, no login, mounted before the body parsers so they hash the bytes as sent).
 */
export function installStatements(ctx: PluginContext, s: StatementsServices): InstalledModule {
  return {
    nav: [{ href: '/statements', label: 'Bank statements', role: 'billing', order: 62 }],
    uploads: [{ path: STATEMENT_PREVIEW_PATH, parse: statementUploadParser() }],
    pages: (router) => statementPages(router, { service: s.importer, repo: s.repo }),
    raw: (app) => webhookRoutes(app, { config: s.gateways, service: s.webhooks, clock: ctx.clock, logger: ctx.logger }),
  };
}

/**
 * The module, once the composition root builds `services.statements` (plugin/main.ts) and
 * ModuleServices lists it (plugin/context.ts).
 */
export const statementsModule: PluginModule = {
  name: 'statements',
  install(ctx: PluginContext, services: ModuleServices & { statements: StatementsServices }): InstalledModule {
    return installStatements(ctx, services.statements);
  },
};
