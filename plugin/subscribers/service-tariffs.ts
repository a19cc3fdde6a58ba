import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import type { Service } from './services.repository.js';
import { clearingProblem, parseTariffFrom, serviceStartMs, tariffStep, wholeSecond } from './tariff-history.js';
import type { NewTariffEntry, TariffHistoryRepository } from './tariff-history.repository.js';
import type { TariffEntry } from './tariff-history.js';

/**
 * Whether a tariff code may be given to a service: null when it may, else why not ("no tariff
 * with code X: …", "tariff X is archived", "tariff X is a draft"). The tariffs module's port.
 */
export type TariffAssignable = (code: string) => Promise<string | null>;

export interface ServiceTariffsDeps {
  history: Pick<TariffHistoryRepository, 'appendMany' | 'replace' | 'moveFrom' | 'historyOf'>;
  /** Absent until the tariffs module is composed in: then any code is accepted. */
  assignable?: TariffAssignable;
  clock: Clock;
  timezone: string;
}

function invalid(issue: FieldIssue): ValidationError {
  return new ValidationError(`${issue.field} ${issue.message}`, [issue]);
}

/** A service's tariff over time: checks codes and keeps `service_tariffs` in step with `services.tariff`. */
export class ServiceTariffs {
  constructor(private readonly deps: ServiceTariffsDeps) {}

  /** Why `code` cannot be assigned, or null. */
  async problem(code: string | null | undefined): Promise<string | null> {
    if (!code || !this.deps.assignable) return null;
    return this.deps.assignable(code);
  }

  /** Throws the ValidationError on field `tariff` that pages, API and import show. */
  async check(code: string | null | undefined): Promise<void> {
    const why = await this.problem(code);
    if (why) throw invalid({ field: 'tariff', message: why });
  }

  /** One service's history, oldest first. */
  async historyOf(serviceId: number): Promise<TariffEntry[]> {
    return (await this.deps.history.historyOf([serviceId])).get(serviceId) ?? [];
  }

  /** Reads `tariffFrom` as given (a date in the ISP's zone, or an instant). */
  parseFrom(raw: string | undefined, issues: FieldIssue[]): number | undefined {
    return raw === undefined ? undefined : parseTariffFrom(raw, this.deps.timezone, issues);
  }

  /** New services with a tariff: their history begins at the service's start instant. */
  async recordStarts(services: Service[], actor: string, t: Transaction): Promise<void> {
    const rows: NewTariffEntry[] = services
      .filter((s) => s.tariff)
      .map((s) => ({ serviceId: s.id, code: s.tariff!, fromMs: serviceStartMs(s.startDate, this.deps.timezone), createdBy: actor }));
    if (rows.length) await this.deps.history.appendMany(rows, t);
  }

  /**
   * In the transaction that updates the service: follows a start date that moved (the first entry
   * began with the service) and appends (or corrects) the entry of a tariff change. Returns the
   * instant the new tariff applies from, for the audit, or null when the tariff did not change.
   */
  async recordChange(
    before: Service,
    after: { tariff?: string | null; startDate?: string },
    fromMs: number | undefined,
    actor: string,
    t: Transaction,
  ): Promise<number | null> {
    const tariffChanged = after.tariff !== undefined && after.tariff !== before.tariff;
    const startChanged = after.startDate !== undefined && after.startDate !== before.startDate;
    if (!tariffChanged && !startChanged && fromMs === undefined) return null;
    const history = (await this.deps.history.historyOf([before.id], t)).get(before.id) ?? [];
    const startMs = serviceStartMs(after.startDate ?? before.startDate, this.deps.timezone);
    if (startChanged) await this.followStart(before, history, startMs, t);
    if (!tariffChanged) {
      if (fromMs !== undefined) throw invalid({ field: 'tariffFrom', message: 'dates a tariff change, but the tariff stays the same' });
      return null;
    }
    const clearing = clearingProblem(before.tariff, after.tariff ?? null);
    if (clearing) throw invalid(clearing);
    if (fromMs !== undefined && fromMs < startMs) throw invalid({ field: 'tariffFrom', message: 'must not be before the service starts' });
    const latest = history[history.length - 1] ?? null;
    // Without a date the change applies now; a change already dated later (a future change) is corrected.
    const from = fromMs ?? Math.max(wholeSecond(this.deps.clock.now().getTime()), latest?.fromMs ?? startMs);
    const step = tariffStep(latest, from, this.deps.timezone);
    if (step.kind === 'refused') throw invalid(step.issue);
    const entry = { serviceId: before.id, code: after.tariff!, fromMs: step.fromMs, createdBy: actor };
    if (step.kind === 'replace') await this.deps.history.replace(entry, t);
    else await this.deps.history.appendMany([entry], t);
    return step.fromMs;
  }

  private async followStart(before: Service, history: TariffEntry[], newStartMs: number, t: Transaction): Promise<void> {
    const [first, second] = history;
    const oldStartMs = serviceStartMs(before.startDate, this.deps.timezone);
    // Only an entry that began with the service moves; one after a later change has its own date.
    if (!first || first.fromMs !== oldStartMs) return;
    if (second && newStartMs >= second.fromMs) return;
    await this.deps.history.moveFrom(before.id, oldStartMs, newStartMs, t);
    first.fromMs = newStartMs;
  }
}
