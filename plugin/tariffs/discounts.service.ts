import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { billedThroughOf, type BilledThroughLookups, type SubscriberLookups } from './charges.service.js';
import { invalid } from './definition.js';
import { overlapping, parseDiscountInput } from './discounts.js';
import type { DiscountsRepository, StoredDiscount } from './discounts.repository.js';

export interface DiscountsServiceDeps {
  /** Billing's port (absent: nothing is billed yet, no date is held back). */
  billedThrough?: BilledThroughLookups;
  db: Database;
  discounts: DiscountsRepository;
  subscribers: SubscriberLookups;
  audit: Pick<AuditRepository, 'record'>;
  clock: Clock;
}

/** Discounts per account or service (rules: discounts.ts); every change audited on the account. */
export class DiscountsService {
  constructor(private readonly deps: DiscountsServiceDeps) {}

  async list(accountId: number, includeRemoved = false): Promise<StoredDiscount[]> {
    await this.deps.subscribers.requireAccount(accountId);
    return this.deps.discounts.of([accountId], { includeRemoved });
  }

  async add(accountId: number, raw: unknown, actor: string): Promise<StoredDiscount> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid([{ field: '', message: 'the discount must be an object' }]);
    await this.deps.subscribers.requireAccount(accountId);
    const { value, issues } = parseDiscountInput(raw as Record<string, unknown>, accountId);
    if (!value) throw invalid(issues);
    if (value.serviceId !== null) {
      const service = await this.deps.subscribers.serviceTariff(value.serviceId).catch((err: unknown) => {
        if (err instanceof NotFoundError) throw invalid([{ field: 'serviceId', message: `there is no service #${value.serviceId}` }]);
        throw err;
      });
      if (service.accountId !== accountId) throw invalid([{ field: 'serviceId', message: `service #${value.serviceId} belongs to another account` }]);
    }
    // A discount from a date the issued documents already carry would never reduce them.
    if (value.fromDate !== null) {
      const through = await billedThroughOf(this.deps.billedThrough, accountId, value.serviceId);
      if (through && value.fromDate <= through.date) {
        const { date: billed, whose } = through;
        throw invalid([{ field: 'fromDate', message: `must be after ${billed}: the run for ${billed} has billed ${whose} without it, so it would never reduce what was billed before; start it after ${billed}, and give the days before back with a credit note` }]);
      }
    }
    return this.deps.db.transaction(async (t) => {
      const clash = overlapping(value, await this.deps.discounts.of([accountId], {}, t));
      if (clash) {
        const field = value.fromDate !== null || value.untilDate !== null ? 'fromDate' : 'appliesTo';
        throw invalid([{ field, message: `overlaps discount ${clash.code} on the same charges: end one before the other begins (a line has at most one discount)` }]);
      }
      const d = await this.deps.discounts.add(value, actor, this.deps.clock.now(), t);
      await this.deps.audit.record(
        { actor, action: 'discount.add', entityType: 'account', entityId: accountId, details: { discount: d.id, service: d.serviceId, code: d.code, appliesTo: d.appliesTo, kind: d.kind, value: d.valueText, fromDate: d.fromDate, untilDate: d.untilDate, periods: d.periods } },
        t,
      );
      return d;
    });
  }

  /** A removed discount is not applied on later invoices; issued invoices keep their lines. */
  async remove(id: number, actor: string): Promise<StoredDiscount> {
    return this.deps.db.transaction(async (t) => {
      const d = await this.deps.discounts.find(id, t);
      if (!d) throw new NotFoundError(`there is no discount #${id}`);
      if (d.status === 'removed') throw new ConflictError(`discount #${id} is removed already`);
      await this.deps.discounts.remove(id, this.deps.clock.now(), t);
      await this.deps.audit.record({ actor, action: 'discount.remove', entityType: 'account', entityId: d.accountId, details: { discount: id, code: d.code } }, t);
      return { ...d, status: 'removed' as const };
    });
  }
}
