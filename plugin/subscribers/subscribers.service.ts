import { DateTime } from 'luxon';
import type { Transaction } from 'sequelize';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../common/errors.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import type { Account, AccountFilter, AccountsRepository } from './accounts.repository.js';
import { changedValues, diffFields, hasChanges } from './changes.js';
import { decodeAccountCursor, decodeIdCursor, encodeAccountCursor, encodeIdCursor } from './cursor.js';
import type { Service, ServiceFilter, ServicesRepository } from './services.repository.js';
import type { ServiceTariffs } from './service-tariffs.js';
import type { TariffEntry } from './tariff-history.js';
import type { UsageLink } from './usage-link.js';
import { endDateProblem, parseAccountInput, parseDate, parseServiceInput, summarise, taxExemptionProblem, type AccountFields, type ServiceFields } from './validation.js';

/**
 * The latest billing date (YYYY-MM-DD, a local midnight) whose run documents carry the service, or
 * null while none does: billing's port. What was billed up to that date is final, so a change
 * may not reach back before it: an end before it would never credit the days already billed in
 * advance, a tariff change before it would never be charged or credited, and a moved start
 * would move what the billed documents were rated on.
 */
export type BilledThrough = (serviceId: number, t?: Transaction) => Promise<string | null>;

export interface SubscribersDeps {
  /** Absent: nothing is billed (tests of this module alone), no change is held back. */
  billedThrough?: BilledThrough;
  db: Database;
  accounts: AccountsRepository;
  services: ServicesRepository;
  audit: AuditRepository;
  usage: UsageLink;
  tariffs: ServiceTariffs;
  clock: Clock;
  timezone: string;
  defaultCurrency: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

function invalid(issues: FieldIssue[]): ValidationError {
  return new ValidationError(summarise(issues), issues);
}

/** The live-login conflict, named the same way by the API, the pages and the import. */
export function loginTaken(login: string, holder?: Service): ConflictError {
  const who = holder ? ` (service #${holder.id} of account #${holder.accountId})` : '';
  return new ConflictError(`login "${login}" is already used by a live service${who}`, [
    { field: 'login', message: `"${login}" is already used by a live service${who}` },
  ]);
}

/** A closed account takes no new services until it is reopened (the pages offer none either). */
export function acceptsNewServices(account: Pick<Account, 'status'>): boolean {
  return account.status !== 'closed';
}

/** One use case per method: accounts and services created, changed and ended, each audited. */
export class SubscribersService {
  constructor(private readonly deps: SubscribersDeps) {}

  /** Today's date in the ISP's time zone (service dates are calendar dates there). */
  today(): string {
    return DateTime.fromJSDate(this.deps.clock.now()).setZone(this.deps.timezone).toISODate()!;
  }

  async getAccount(id: number, transaction?: Transaction): Promise<Account> {
    const a = await this.deps.accounts.findById(id, transaction);
    if (!a) throw new NotFoundError(`there is no account #${id}`);
    return a;
  }

  async getService(id: number, transaction?: Transaction): Promise<Service> {
    const s = await this.deps.services.findById(id, transaction);
    if (!s) throw new NotFoundError(`there is no service #${id}`);
    return s;
  }

  /** Many services by id at once (a page of rows); ids with no service are absent. */
  getServices(ids: number[], transaction?: Transaction): Promise<Map<number, Service>> {
    return this.deps.services.findByIds(ids, transaction);
  }

  async listAccounts(filter: AccountFilter, limit: number, cursor?: string): Promise<Page<Account>> {
    const after = cursor ? decodeAccountCursor(cursor) : undefined;
    const rows = await this.deps.accounts.list(filter, { limit: limit + 1, after });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeAccountCursor(last) : null };
  }

  async listServices(filter: ServiceFilter, limit: number, cursor?: string): Promise<Page<Service>> {
    const afterId = cursor ? decodeIdCursor(cursor) : undefined;
    const rows = await this.deps.services.list(filter, { limit: limit + 1, afterId });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeIdCursor(last.id) : null };
  }

  /** One page of an account's services, oldest first; NotFoundError for an unknown account. */
  async servicesPageOf(accountId: number, limit: number, cursor?: string): Promise<Page<Service>> {
    await this.getAccount(accountId);
    return this.listServices({ accountId }, limit, cursor);
  }

  async servicesOf(accountId: number): Promise<Service[]> {
    await this.getAccount(accountId);
    return this.deps.services.listByAccounts([accountId]);
  }

  async createAccount(raw: Record<string, unknown>, actor: string): Promise<Account> {
    const { value, issues } = parseAccountInput(raw, 'create', { currency: this.deps.defaultCurrency });
    if (issues.length) throw invalid(issues);
    return this.withExternalIdCheck(value.externalId, () =>
      this.deps.db.transaction((t) => this.insertAccount(value as AccountFields, actor, t)),
    );
  }

  /** Inside a caller's transaction (the import and the bulk creation use it too). */
  async insertAccount(fields: AccountFields, actor: string, t: Transaction): Promise<Account> {
    const account = await this.deps.accounts.create(fields, this.deps.clock.now(), t);
    await this.deps.audit.record({ actor, action: 'account.create', entityType: 'account', entityId: account.id, details: { ...fields } }, t);
    return account;
  }

  async updateAccount(id: number, raw: Record<string, unknown>, actor: string): Promise<Account> {
    const { value, issues } = parseAccountInput(raw, 'update', { currency: this.deps.defaultCurrency });
    if (issues.length) throw invalid(issues);
    return this.withExternalIdCheck(value.externalId, () =>
      this.deps.db.transaction(async (t) => {
        const before = await this.deps.accounts.findById(id, t, true);
        if (!before) throw new NotFoundError(`there is no account #${id}`);
        if (value.status === 'closed' && before.status !== 'closed') {
          const live = (await this.deps.services.listByAccounts([id], t)).filter((s) => s.status !== 'ended');
          if (live.length) {
            throw invalid([{ field: 'status', message: `cannot close an account with live services (${live.map((s) => s.login).join(', ')}): end them first` }]);
          }
        }
        // Checked when the exemption is touched, so an older exempt account without a reason
        // can still have its e-mail changed; the form always sends it, so staff fill it there.
        if (value.taxExempt !== undefined || value.taxExemptReason !== undefined) {
          const problem = taxExemptionProblem({ ...before, ...value });
          if (problem) throw invalid([problem]);
        }
        await this.applyAccountPatch(before, value, actor, t);
        return (await this.deps.accounts.findById(id, t))!;
      }),
    );
  }

  /** Writes and audits what differs; returns false when nothing did. */
  async applyAccountPatch(before: Account, patch: Partial<AccountFields>, actor: string, t: Transaction): Promise<boolean> {
    const changes = diffFields(before, patch);
    if (!hasChanges(changes)) return false;
    await this.deps.accounts.update(before.id, changedValues(changes) as Partial<AccountFields>, this.deps.clock.now(), t);
    await this.deps.audit.record({ actor, action: 'account.update', entityType: 'account', entityId: before.id, details: { changes } }, t);
    return true;
  }

  async createService(accountId: number, raw: Record<string, unknown>, actor: string): Promise<Service> {
    const { value, issues } = parseServiceInput(raw, 'create', this.today());
    if (issues.length) throw invalid(issues);
    await this.deps.tariffs.check(value.tariff);
    return this.withLoginCheck(value.login!, () =>
      this.deps.db.transaction(async (t) => {
        const account = await this.deps.accounts.findById(accountId, t, true);
        if (!account) throw new NotFoundError(`there is no account #${accountId}`);
        return this.insertService(account, value as ServiceFields, actor, t);
      }),
    );
  }

  /**
   * Inside a caller's transaction: checks the account and the login, creates the service, and
   * moves any unassigned usage of that login onto it.
   */
  async insertService(account: Account, fields: ServiceFields, actor: string, t: Transaction): Promise<Service> {
    return (await this.insertServices([{ account, fields }], actor, t))[0]!;
  }

  /** Many services at once (the import, the bulk creation from unclaimed logins), each audited. */
  async insertServices(items: Array<{ account: Account; fields: ServiceFields }>, actor: string, t: Transaction): Promise<Service[]> {
    const closed = items.find((i) => !acceptsNewServices(i.account));
    if (closed) throw invalid([{ field: 'accountId', message: `account #${closed.account.id} is closed; reopen it before adding services` }]);
    const logins = items.map((i) => i.fields.login);
    const held = await this.deps.services.findLiveByLogins(logins, t);
    const [first] = held.values();
    if (first) throw loginTaken(first.login, first);
    const created = await this.deps.services.createMany(items.map((i) => ({ accountId: i.account.id, ...i.fields })), this.deps.clock.now(), t);
    await this.deps.tariffs.recordStarts([...created.values()], actor, t);
    const withUsage = await this.deps.usage.loginsWithUnassigned(logins, t);
    const out: Service[] = [];
    for (const { account, fields } of items) {
      const service = created.get(fields.login)!;
      const adopted = withUsage.has(fields.login) ? await this.deps.usage.adoptUnassigned(service, t) : 0;
      await this.deps.audit.record(
        { actor, action: 'service.create', entityType: 'service', entityId: service.id, details: { accountId: account.id, ...fields, adoptedUsageRows: adopted } },
        t,
      );
      out.push(service);
    }
    return out;
  }

  /** Many new accounts, each with an external id (the import), each audited. */
  async insertAccounts(list: AccountFields[], actor: string, t: Transaction): Promise<Map<string, Account>> {
    const created = await this.deps.accounts.createMany(list, this.deps.clock.now(), t);
    for (const fields of list) {
      await this.deps.audit.record({ actor, action: 'account.create', entityType: 'account', entityId: created.get(fields.externalId!)!.id, details: { ...fields } }, t);
    }
    return created;
  }

  /** The tariffs a service had, oldest first (each applies from its instant until the next). */
  async tariffHistory(serviceId: number): Promise<TariffEntry[]> {
    return this.deps.tariffs.historyOf(serviceId);
  }

  /** Why a tariff code cannot be given to a service (the tariffs module says), or null. */
  tariffProblem(code: string | null): Promise<string | null> {
    return this.deps.tariffs.problem(code);
  }

  async updateService(id: number, raw: Record<string, unknown>, actor: string): Promise<Service> {
    const parsed = parseServiceInput(raw, 'update', this.today());
    const { value, issues } = parsed;
    const tariffFromMs = this.deps.tariffs.parseFrom(parsed.tariffFrom, issues);
    if (issues.length) throw invalid(issues);
    // The tariffs port is asked outside the transaction, and only for a code that changes: a
    // service keeps a tariff archived since, and its form can still be saved.
    const current = await this.getService(id);
    // An ended service is refused for what it is (applyServicePatch), not for the code.
    if (current.status !== 'ended' && value.tariff !== undefined && value.tariff !== current.tariff) await this.deps.tariffs.check(value.tariff);
    const run = () =>
      this.deps.db.transaction(async (t) => {
        const before = await this.deps.services.findById(id, t, true);
        if (!before) throw new NotFoundError(`there is no service #${id}`);
        if (value.tariff !== undefined && value.tariff !== before.tariff && before.tariff !== current.tariff) {
          throw new ConflictError(`service #${id} changed its tariff meanwhile (now ${before.tariff ?? 'none'}); reload and try again`);
        }
        await this.applyServicePatch(before, value, actor, t, tariffFromMs);
        return (await this.deps.services.findById(id, t))!;
      });
    return value.login ? this.withLoginCheck(value.login, run) : run();
  }

  /**
   * Writes and audits what differs (the import uses it too, with tariffs already checked). A
   * tariff change goes into the tariff history from `tariffFromMs`, or now.
   */
  async applyServicePatch(before: Service, patch: Partial<ServiceFields>, actor: string, t: Transaction, tariffFromMs?: number): Promise<boolean> {
    const changes = diffFields(before, patch);
    if (!hasChanges(changes)) {
      if (tariffFromMs !== undefined) throw invalid([{ field: 'tariffFrom', message: 'dates a tariff change, but the tariff stays the same' }]);
      return false;
    }
    if (before.status === 'ended') throw new ConflictError(`service #${before.id} has ended and cannot change; create a new service instead`);
    const billed = changes.startDate || changes.tariff ? ((await this.deps.billedThrough?.(before.id, t)) ?? null) : null;
    if (billed !== null && changes.startDate) {
      throw invalid([{ field: 'startDate', message: `cannot change any more: the service is billed (through the run for ${billed}); end it and create a new service, or correct the invoices with credit notes` }]);
    }
    const tariffFrom = await this.deps.tariffs.recordChange(before, { tariff: changes.tariff ? patch.tariff : undefined, startDate: patch.startDate }, tariffFromMs, actor, t);
    if (billed !== null && tariffFrom !== null && tariffFrom <= DateTime.fromISO(billed, { zone: this.deps.timezone }).toMillis()) {
      throw invalid([{ field: 'tariffFrom', message: `must be after ${billed}: the service is billed through the run for ${billed} with the tariff it had; date the change later` }]);
    }
    if (changes.login) {
      const holder = (await this.deps.services.findLiveByLogins([patch.login!], t)).get(patch.login!);
      if (holder && holder.id !== before.id) throw loginTaken(patch.login!, holder);
    }
    await this.deps.services.update(before.id, changedValues(changes) as Partial<ServiceFields>, this.deps.clock.now(), t);
    // A new login or an earlier start may cover usage that nobody claimed until now.
    const adopted = changes.login || changes.startDate ? await this.deps.usage.adoptUnassigned({ id: before.id, accountId: before.accountId, login: patch.login ?? before.login }, t) : 0;
    // The instant is worth saying only when the change was not simply "from now".
    const dated = tariffFrom !== null && (tariffFromMs !== undefined || tariffFrom !== Math.floor(this.deps.clock.now().getTime() / 1000) * 1000);
    const extra = { ...(adopted ? { adoptedUsageRows: adopted } : {}), ...(dated ? { tariffFrom: new Date(tariffFrom).toISOString() } : {}) };
    await this.deps.audit.record({ actor, action: 'service.update', entityType: 'service', entityId: before.id, details: { changes, ...extra } }, t);
    return true;
  }

  /** The earliest end date a service can be given: its start, or the latest billing date that carries it (a host's sync ends no earlier). */
  async earliestEndDate(id: number): Promise<string> {
    const s = await this.getService(id);
    const billed = (await this.deps.billedThrough?.(id)) ?? null;
    return billed !== null && billed > s.startDate ? billed : s.startDate;
  }

  /** Ends a service: its login is free for another service from now on. */
  async endService(id: number, raw: Record<string, unknown>, actor: string): Promise<Service> {
    const issues: FieldIssue[] = [];
    for (const k of Object.keys(raw)) if (k !== 'endDate') issues.push({ field: k, message: 'is not a field that can be set' });
    const endDate = parseDate('endDate', raw.endDate === undefined || raw.endDate === '' ? this.today() : raw.endDate, issues, true);
    if (issues.length) throw invalid(issues);
    return this.deps.db.transaction(async (t) => {
      const before = await this.deps.services.findById(id, t, true);
      if (!before) throw new NotFoundError(`there is no service #${id}`);
      if (before.status === 'ended') throw new ConflictError(`service #${id} already ended on ${before.endDate ?? '?'}`);
      const problem = endDateProblem(before.startDate, endDate!);
      if (problem) throw invalid([{ field: 'endDate', message: problem }]);
      const billed = (await this.deps.billedThrough?.(id, t)) ?? null;
      if (billed !== null && endDate! < billed) {
        throw invalid([{ field: 'endDate', message: `must be on or after ${billed}: the service is billed through the run for ${billed} (its fee in advance); end it on ${billed} or later, and credit the days before with a credit note` }]);
      }
      await this.deps.services.end(id, endDate!, this.deps.clock.now(), t);
      // An end in the past gives the usage after it back (unassigned, or to the login's next service).
      await this.deps.usage.adoptUnassigned({ id, accountId: before.accountId, login: before.login }, t);
      await this.deps.audit.record({ actor, action: 'service.end', entityType: 'service', entityId: id, details: { login: before.login, endDate } }, t);
      return (await this.deps.services.findById(id, t))!;
    });
  }

  /** Two writers racing for one login: the unique index decides, and the loser hears why. */
  private async withLoginCheck<T>(login: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDuplicateKey(err)) throw loginTaken(login);
      throw err;
    }
  }

  private async withExternalIdCheck<T>(externalId: string | null | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDuplicateKey(err) && externalId) {
        throw new ConflictError(`external id "${externalId}" is already used by another account`, [
          { field: 'externalId', message: `"${externalId}" is already used by another account` },
        ]);
      }
      throw err;
    }
  }
}
