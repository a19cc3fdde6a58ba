import { DateTime } from 'luxon';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import type { StoredCharge, ChargesRepository } from './charges.repository.js';
import { parseChargeInput, parseInstant, type TopUpPurchase } from './charges.js';
import { invalid } from './definition.js';
import type { TariffsService } from './tariffs.service.js';

/**
 * What the charges need of subscribers (its port, passed in by the composition root): that an
 * account exists, and a service's account and current tariff code. Both throw NotFoundError for
 * an unknown id.
 */
export interface SubscriberLookups {
  requireAccount(accountId: number): Promise<void>;
  serviceTariff(serviceId: number): Promise<{ accountId: number; tariff: string | null }>;
}

/**
 * Billing's port: the latest billing date (YYYY-MM-DD) whose run documents carry a service, or an
 * account, or null while none does. What a charge dated on or before it would add was never
 * going to be invoiced (that date's documents are issued), so such a date is refused.
 */
export interface BilledThroughLookups {
  service(serviceId: number): Promise<string | null>;
  account(accountId: number): Promise<string | null>;
}

/** How far what a charge or discount names (a service, else the account) is billed, and how to say whose it is. */
export async function billedThroughOf(lookups: BilledThroughLookups | undefined, accountId: number, serviceId: number | null): Promise<{ date: string; whose: string } | null> {
  const date = serviceId !== null ? await lookups?.service(serviceId) : await lookups?.account(accountId);
  return date ? { date, whose: serviceId !== null ? `service #${serviceId}` : 'the account' } : null;
}

export interface ChargesServiceDeps {
  /** Absent: nothing is billed yet (tests of this module alone). */
  billedThrough?: BilledThroughLookups;
  db: Database;
  charges: ChargesRepository;
  catalogue: Pick<TariffsService, 'get'>;
  subscribers: SubscriberLookups;
  audit: Pick<AuditRepository, 'record'>;
  clock: Clock;
  timezone: string;
}

/** Extra charges per account and top-ups per service; every change audited on the account or service. */
export class ChargesService {
  constructor(private readonly deps: ChargesServiceDeps) {}

  private midnight(date: string): number {
    return DateTime.fromISO(date, { zone: this.deps.timezone }).toMillis();
  }

  async listCharges(accountId: number, includeRemoved = false): Promise<StoredCharge[]> {
    await this.deps.subscribers.requireAccount(accountId);
    return this.deps.charges.chargesOf([accountId], { includeRemoved });
  }

  async addCharge(accountId: number, raw: unknown, actor: string): Promise<StoredCharge> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid([{ field: '', message: 'the charge must be an object' }]);
    await this.deps.subscribers.requireAccount(accountId);
    const { value, issues } = parseChargeInput(raw as Record<string, unknown>, accountId, this.deps.timezone);
    if (!value) throw invalid(issues);
    if (value.serviceId !== null) {
      const service = await this.deps.subscribers.serviceTariff(value.serviceId).catch((err: unknown) => {
        if (err instanceof NotFoundError) throw invalid([{ field: 'serviceId', message: `there is no service #${value.serviceId}` }]);
        throw err;
      });
      if (service.accountId !== accountId) throw invalid([{ field: 'serviceId', message: `service #${value.serviceId} belongs to another account` }]);
    }
    const through = await billedThroughOf(this.deps.billedThrough, accountId, value.serviceId);
    if (through) {
      const { date: billed, whose } = through;
      if (value.atMs !== null && value.atMs <= this.midnight(billed)) {
        throw invalid([{ field: 'at', message: `must be after ${billed}: the run for ${billed} has billed ${whose}, so a one-off dated then would never be invoiced; date it after ${billed} and it goes on the next invoice` }]);
      }
      if (value.recurring && value.fromDate !== null && value.fromDate <= billed) {
        throw invalid([{ field: 'fromDate', message: `must be after ${billed}: the run for ${billed} has billed ${whose} up to then in advance; start it after ${billed}, and add what came before as a one-off charge` }]);
      }
    }
    return this.deps.db.transaction(async (t) => {
      const charge = await this.deps.charges.addCharge(value, actor, this.deps.clock.now(), t);
      await this.deps.audit.record(
        {
          actor,
          action: 'charge.add',
          entityType: 'account',
          entityId: accountId,
          details: { charge: charge.id, code: charge.code, description: charge.description, price: charge.priceText, recurring: charge.recurring, fromDate: charge.fromDate, toDate: charge.toDate, at: charge.atMs === null ? null : new Date(charge.atMs).toISOString() },
        },
        t,
      );
      return charge;
    });
  }

  /** Removed charges are not billed again; what was invoiced stays on its invoice. */
  async removeCharge(id: number, actor: string): Promise<StoredCharge> {
    return this.deps.db.transaction(async (t) => {
      const charge = await this.deps.charges.findCharge(id, t);
      if (!charge) throw new NotFoundError(`there is no extra charge #${id}`);
      if (charge.status === 'removed') throw new ConflictError(`extra charge #${id} is removed already`);
      await this.deps.charges.removeCharge(id, this.deps.clock.now(), t);
      await this.deps.audit.record({ actor, action: 'charge.remove', entityType: 'account', entityId: charge.accountId, details: { charge: id, code: charge.code, description: charge.description } }, t);
      return { ...charge, status: 'removed' as const };
    });
  }

  async listTopUps(serviceId: number): Promise<TopUpPurchase[]> {
    await this.deps.subscribers.serviceTariff(serviceId);
    return this.deps.charges.topUpsOf([serviceId], 0, Date.UTC(9999, 0, 1));
  }

  /** A top-up must be one the service's current tariff offers; `at` defaults to now. */
  async buyTopUp(serviceId: number, raw: unknown, actor: string): Promise<TopUpPurchase> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid([{ field: '', message: 'the top-up must be an object' }]);
    const input = raw as Record<string, unknown>;
    const unknown = Object.keys(input).filter((k) => k !== 'code' && k !== 'at');
    if (unknown.length) throw invalid(unknown.map((k) => ({ field: k, message: 'is not a field of a top-up (code, at)' })));
    const code = typeof input.code === 'string' ? input.code.trim() : '';
    if (!code) throw invalid([{ field: 'code', message: 'is required' }]);
    const now = this.deps.clock.now();
    let atMs = now.getTime();
    if (input.at !== undefined && input.at !== '') {
      const at = parseInstant(input.at, this.deps.timezone);
      if (at === null) throw invalid([{ field: 'at', message: 'must be a date (YYYY-MM-DD) or an ISO date-time with offset' }]);
      atMs = at;
    }
    const service = await this.deps.subscribers.serviceTariff(serviceId);
    if (!service.tariff) throw invalid([{ field: 'code', message: `service #${serviceId} has no tariff, so it offers no top-ups` }]);
    const tariff = await this.deps.catalogue.get(service.tariff).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw invalid([{ field: 'code', message: `the service's tariff ${service.tariff} is not in the catalogue, so it offers no top-ups` }]);
      throw err;
    });
    const offered = tariff.versions[tariff.versions.length - 1]!.tariff.topUps.map((p) => p.code);
    if (!offered.includes(code)) {
      const offers = offered.length ? `it offers ${offered.join(', ')}` : 'it offers none';
      throw new ValidationError(`tariff ${service.tariff} has no top-up ${code} (${offers})`, [{ field: 'code', message: `tariff ${service.tariff} has no top-up ${code} (${offers})` }]);
    }
    const billed = await this.deps.billedThrough?.service(serviceId);
    if (billed && atMs <= this.midnight(billed)) {
      throw invalid([{ field: 'at', message: `must be after ${billed}: the run for ${billed} has billed the usage of service #${serviceId} up to then, so a pack bought then would never be charged; date it after ${billed}` }]);
    }
    return this.deps.db.transaction(async (t) => {
      const bought = await this.deps.charges.addTopUp(serviceId, code, atMs, actor, now, t);
      await this.deps.audit.record({ actor, action: 'topup.buy', entityType: 'service', entityId: serviceId, details: { code, tariff: service.tariff, at: new Date(atMs).toISOString() } }, t);
      return bought;
    });
  }
}
