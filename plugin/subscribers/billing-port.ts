import type { Transaction } from 'sequelize';
import type { Account, AccountsRepository } from './accounts.repository.js';
import type { ServicesRepository } from './services.repository.js';
import type { TariffHistoryRepository } from './tariff-history.repository.js';

/** What an invoice needs to know about its account. */
export interface BillingProfile {
  accountId: number;
  externalId: string | null;
  name: string;
  email: string | null;
  billingEmail: string | null;
  addressLines: string[];
  taxId: string | null;
  currency: string;
  tax: { kind: 'rate'; name: string | null; percent: string | null /* null = default */ } | { kind: 'exempt'; reason: string };
  paymentTermsDays: number | null;
  status: string;
  createdAt: Date;
}

export interface BillableService {
  id: number;
  accountId: number;
  login: string;
  status: string;
  startDate: string;
  endDate: string | null; // local dates, as stored
  tariffs: Array<{ code: string; fromMs: number }>; // history, oldest first
  /** When the service was entered. */
  createdAtMs: number;
}

/** How billing reads accounts and services: batched, one query per chunk of ids, never per account. */
export interface SubscribersBillingPort {
  /** Accounts with at least one service whose [start, end] overlaps [fromDate, toDate) (local dates), ordered by id, after `afterId`, at most `limit`. */
  billableAccounts(fromDate: string, toDate: string, afterId: number, limit: number, t?: Transaction): Promise<number[]>;
  profiles(accountIds: number[], t?: Transaction): Promise<Map<number, BillingProfile>>;
  services(accountIds: number[], t?: Transaction): Promise<Map<number, BillableService[]>>;
  currentTariff(serviceId: number): Promise<string | null>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The invoice's view of an account (pure). */
export function billingProfileOf(a: Account): BillingProfile {
  const cityLine = [a.postalCode, a.city].filter(Boolean).join(' ');
  return {
    accountId: a.id,
    externalId: a.externalId,
    name: a.name,
    email: a.email,
    billingEmail: a.billingEmail,
    addressLines: [a.addressLine1, a.addressLine2, cityLine, a.country].filter((x): x is string => !!x),
    taxId: a.taxId,
    currency: a.currency,
    // Accounts made exempt before reasons were required (migration 0010) have none: '' says so.
    tax: a.taxExempt ? { kind: 'exempt', reason: a.taxExemptReason ?? '' } : { kind: 'rate', name: a.taxName, percent: a.taxPercent },
    paymentTermsDays: a.paymentTermsDays,
    status: a.status,
    createdAt: a.createdAt,
  };
}

export function createBillingPort(deps: {
  accounts: Pick<AccountsRepository, 'findByIds'>;
  services: Pick<ServicesRepository, 'accountsWithServicesIn' | 'listByAccounts' | 'findById'>;
  history: Pick<TariffHistoryRepository, 'historyOfAccounts'>;
}): SubscribersBillingPort {
  return {
    async billableAccounts(fromDate, toDate, afterId, limit, t) {
      if (!DATE.test(fromDate) || !DATE.test(toDate)) throw new RangeError(`billableAccounts takes local dates YYYY-MM-DD, not ${fromDate} / ${toDate}`);
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`billableAccounts needs a positive limit, not ${limit}`);
      return deps.services.accountsWithServicesIn(fromDate, toDate, afterId, limit, t);
    },
    async profiles(accountIds, t) {
      const accounts = await deps.accounts.findByIds([...new Set(accountIds)], t);
      return new Map(accounts.map((a) => [a.id, billingProfileOf(a)]));
    },
    async services(accountIds, t) {
      const ids = [...new Set(accountIds)];
      // One after the other: a transaction is one connection, which runs one statement at a time.
      const list = await deps.services.listByAccounts(ids, t);
      const history = await deps.history.historyOfAccounts(ids, t);
      const out = new Map<number, BillableService[]>(ids.map((id) => [id, []]));
      for (const s of list) {
        out.get(s.accountId)!.push({
          id: s.id,
          accountId: s.accountId,
          login: s.login,
          status: s.status,
          startDate: s.startDate,
          endDate: s.endDate,
          tariffs: (history.get(s.id) ?? []).map((e) => ({ code: e.code, fromMs: e.fromMs })),
          createdAtMs: s.createdAt.getTime(),
        });
      }
      return out;
    },
    async currentTariff(serviceId) {
      return (await deps.services.findById(serviceId))?.tariff ?? null;
    },
  };
}
