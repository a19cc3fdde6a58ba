import { DateTime } from 'luxon';
import type { AuditRepository } from '../audit/index.js';
import { ValidationError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import type { Account } from './accounts.repository.js';
import type { Service } from './services.repository.js';
import type { SubscribersService } from './subscribers.service.js';
import type { InventorySighting, UnassignedUsage, UnclaimedRepository } from './unclaimed.repository.js';

/** A login seen on a router or in accounting that no live service claims. */
export interface UnclaimedLogin {
  login: string;
  sightings: InventorySighting[];
  usage: UnassignedUsage | null;
}

/** Merges the two sources by login (pure), sorted by login. */
export function mergeUnclaimed(sightings: InventorySighting[], usage: UnassignedUsage[]): UnclaimedLogin[] {
  const out = new Map<string, UnclaimedLogin>();
  const entry = (login: string) => {
    let e = out.get(login);
    if (!e) out.set(login, (e = { login, sightings: [], usage: null }));
    return e;
  };
  for (const s of sightings) entry(s.login).sightings.push(s);
  for (const u of usage) entry(u.login).usage = u;
  return [...out.values()].sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : 0));
}

/**
 * What a claimed login becomes (pure): an account named after the router entry's comment (where
 * staff usually keep the customer's name) or the login, and one service on the router that
 * holds it, with the PPP/hotspot profile as tariff (claim() drops it when it is no assignable tariff). The service starts on the local date of the
 * first unassigned usage, so all of that usage falls inside the service and moves onto it.
 */
export function proposalFor(u: UnclaimedLogin, today: string, timezone: string): { accountName: string; login: string; nasName: string | null; tariff: string | null; startDate: string } {
  const first = u.sightings[0];
  const usageStart = u.usage ? DateTime.fromJSDate(u.usage.firstHour).setZone(timezone).toISODate()! : today;
  return {
    accountName: (u.sightings.find((s) => s.comment)?.comment ?? u.login).slice(0, 200),
    login: u.login,
    nasName: first?.routerName ?? null,
    tariff: first?.profile?.slice(0, 64) ?? null,
    startDate: usageStart < today ? usageStart : today,
  };
}

export interface ClaimResult {
  login: string;
  account: Account;
  service: Service;
}

export class UnclaimedLoginsService {
  constructor(
    private readonly deps: {
      db: Database;
      repo: UnclaimedRepository;
      subscribers: SubscribersService;
      audit: AuditRepository;
      timezone: string;
      defaultCurrency: string;
    },
  ) {}

  /**
   * Unclaimed logins by name; with a limit, the first `limit` of them (the first N of the merged
   * list are always among the first N of each source).
   */
  async list(limit?: number): Promise<UnclaimedLogin[]> {
    const [sightings, usage] = await Promise.all([this.deps.repo.inventory(undefined, undefined, limit), this.deps.repo.unassignedUsage(undefined, undefined, limit)]);
    const merged = mergeUnclaimed(sightings, usage);
    return limit === undefined ? merged : merged.slice(0, limit);
  }

  /**
   * Creates one account and one service per login, all in one transaction: a login claimed
   * meanwhile (or not unclaimed at all) fails the whole request, naming it.
   */
  async claim(logins: string[], actor: string): Promise<ClaimResult[]> {
    const wanted = [...new Set(logins.map((l) => l.trim()).filter(Boolean))];
    if (!wanted.length) throw new ValidationError('choose at least one login', [{ field: 'logins', message: 'choose at least one login' }]);
    return this.deps.db.transaction(async (t) => {
      const found = mergeUnclaimed(await this.deps.repo.inventory(wanted, t), await this.deps.repo.unassignedUsage(wanted, t));
      const byLogin = new Map(found.map((u) => [u.login, u]));
      const missing = wanted.filter((l) => !byLogin.has(l));
      if (missing.length) {
        throw new ValidationError(`not unclaimed (unknown, or a live service has it now): ${missing.join(', ')}`, missing.map((l) => ({ field: 'logins', message: `"${l}" is not an unclaimed login` })));
      }
      const today = this.deps.subscribers.today();
      const results: ClaimResult[] = [];
      const profilesNotTariffs: Array<{ login: string; profile: string; reason: string }> = [];
      // Routers share a handful of profiles: each is asked of the catalogue once per claim.
      const checked = new Map<string, string | null>();
      for (const login of wanted) {
        const p = proposalFor(byLogin.get(login)!, today, this.deps.timezone);
        // A router profile ("default", "10M") is often no tariff of the catalogue: the service is
        // then made without one (billing names it) and the audit says which profile was left out.
        if (p.tariff && !checked.has(p.tariff)) checked.set(p.tariff, await this.deps.subscribers.tariffProblem(p.tariff));
        const notTariff = p.tariff ? checked.get(p.tariff)! : null;
        if (notTariff) {
          profilesNotTariffs.push({ login, profile: p.tariff!, reason: notTariff });
          p.tariff = null;
        }
        const account = await this.deps.subscribers.insertAccount(
          {
            externalId: null,
            name: p.accountName,
            email: null,
            phone: null,
            addressLine1: null,
            addressLine2: null,
            city: null,
            postalCode: null,
            country: null,
            taxId: null,
            taxExempt: false,
            taxExemptReason: null,
            taxName: null,
            taxPercent: null,
            paymentTermsDays: null,
            billingEmail: null,
            currency: this.deps.defaultCurrency,
            status: 'active',
          },
          actor,
          t,
        );
        const service = await this.deps.subscribers.insertService(
          account,
          { login, tariff: p.tariff, nasName: p.nasName, startDate: p.startDate, status: 'active' },
          actor,
          t,
        );
        results.push({ login, account, service });
      }
      const notes = profilesNotTariffs.length ? { profilesNotUsedAsTariff: profilesNotTariffs } : {};
      await this.deps.audit.record({ actor, action: 'unclaimed.claim', entityType: 'service', details: { logins: wanted, ...notes } }, t);
      return results;
    });
  }
}
