import type { Transaction } from 'sequelize';
import type { PluginContext } from '../context.js';
import type { InstalledModule, PluginModule } from '../modules.js';
import { tariffsApi } from './api.js';
import { ChargesRepository } from './charges.repository.js';
import { ChargesService, type BilledThroughLookups, type SubscriberLookups } from './charges.service.js';
import { DiscountsRepository } from './discounts.repository.js';
import { DiscountsService } from './discounts.service.js';
import type { DiscountKind, DiscountTarget } from '../rating/index.js';
import type { Dec } from '../common/money.js';
import type { CatalogueEntry } from './tariffs.service.js';
import { TariffsRepository } from './tariffs.repository.js';
import { TariffsService } from './tariffs.service.js';
import { tariffPages } from './web/pages.js';
import type { TariffVersion } from './version-at.js';

export { versionAt, type TariffVersion } from './version-at.js';
export type { CatalogueEntry } from './tariffs.service.js';
export type { BilledThroughLookups, SubscriberLookups } from './charges.service.js';

import type { ExtraCharge } from './charges.js';
export type { ExtraCharge };

/** The tariff catalogue's port: what billing and subscribers read of it. */
export interface TariffsPort {
  /** All versions per code, oldest first; codes not in the catalogue are absent from the map. */
  versionsByCode(codes: string[], t?: Transaction): Promise<Map<string, { entry: CatalogueEntry; versions: TariffVersion[] }>>;
  /** Whether a service may be given this tariff now: exists and active (not draft, not archived). Returns null when fine, or the reason text. */
  assignable(code: string): Promise<string | null>;
  /** Extra charges of these accounts that are active (recurring or one-off), any dates. */
  chargesFor(accountIds: number[], t?: Transaction): Promise<ExtraCharge[]>;
  /** Active discounts of these accounts (service ones and the account's own), any dates. */
  discountsFor(accountIds: number[], t?: Transaction): Promise<AccountDiscount[]>;
  /** Top-ups bought for these services with bought_at in [fromMs, toMs). */
  topUpsFor(serviceIds: number[], fromMs: number, toMs: number, t?: Transaction): Promise<Array<{ id: number; serviceId: number; code: string; atMs: number }>>;
}

export interface AccountDiscount {
  id: number;
  accountId: number;
  serviceId: number | null;
  code: string;
  description: string;
  appliesTo: DiscountTarget;
  kind: DiscountKind;
  value: Dec;
  fromDate: string | null;
  untilDate: string | null;
  periods: number | null;
}

/** What the catalogue uses of other modules, as the composition root built them. */
export interface TariffsPorts {
  subscribers: SubscriberLookups;
  /** Billing's port (how far services and accounts are billed); absent: charges are not held back. */
  billedThrough?: BilledThroughLookups;
}

export function buildTariffs(ctx: PluginContext, ports: TariffsPorts) {
  const tariffsRepo = new TariffsRepository(ctx.db);
  const chargesRepo = new ChargesRepository(ctx.db);
  const catalogue = new TariffsService({ db: ctx.db, tariffs: tariffsRepo, audit: ctx.repos.audit, clock: ctx.clock });
  const discountsRepo = new DiscountsRepository(ctx.db);
  const discounts = new DiscountsService({ db: ctx.db, discounts: discountsRepo, subscribers: ports.subscribers, billedThrough: ports.billedThrough, audit: ctx.repos.audit, clock: ctx.clock });
  const charges = new ChargesService({ db: ctx.db, charges: chargesRepo, catalogue, subscribers: ports.subscribers, billedThrough: ports.billedThrough, audit: ctx.repos.audit, clock: ctx.clock, timezone: ctx.config.billing.timezone });
  const port: TariffsPort = {
    versionsByCode: async (codes, t) => {
      const out = new Map<string, { entry: CatalogueEntry; versions: TariffVersion[] }>();
      for (const d of await catalogue.byCodes(codes, t)) out.set(d.entry.code, { entry: d.entry, versions: d.versions.map((v) => ({ tariff: v.tariff, effectiveFromMs: v.effectiveFromMs })) });
      return out;
    },
    assignable: (code) => catalogue.assignable(code),
    chargesFor: async (accountIds, t) =>
      (await chargesRepo.chargesOf(accountIds, {}, t)).map((c) => ({
        id: c.id, accountId: c.accountId, serviceId: c.serviceId, code: c.code, description: c.description, price: c.price,
        taxInclusive: c.taxInclusive, recurring: c.recurring, fromDate: c.fromDate, toDate: c.toDate, atMs: c.atMs,
      })),
    discountsFor: async (accountIds, t) =>
      (await discountsRepo.of(accountIds, {}, t)).map((d) => ({
        id: d.id, accountId: d.accountId, serviceId: d.serviceId, code: d.code, description: d.description, appliesTo: d.appliesTo,
        kind: d.kind, value: d.value, fromDate: d.fromDate, untilDate: d.untilDate, periods: d.periods,
      })),
    topUpsFor: async (serviceIds, fromMs, toMs, t) => (await chargesRepo.topUpsOf(serviceIds, fromMs, toMs, t)).map((p) => ({ id: p.id, serviceId: p.serviceId, code: p.code, atMs: p.atMs })),
  };
  return { catalogue, charges, discounts, port };
}

export type TariffsServices = ReturnType<typeof buildTariffs>;

/** The tariff catalogue, extra charges and top-ups: pages, REST API. */
export const tariffsModule: PluginModule = {
  name: 'tariffs',
  install(ctx: PluginContext, services): InstalledModule {
    const parts = services.tariffs;
    return {
      nav: [{ href: '/tariffs', label: 'Tariffs', role: 'readonly', order: 15 }],
      api: (router) => tariffsApi(router, parts),
      pages: (router) => tariffPages(router, { ...parts, timezone: ctx.config.billing.timezone, clock: ctx.clock }),
    };
  },
};
