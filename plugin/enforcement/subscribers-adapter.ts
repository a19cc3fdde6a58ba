import { NotFoundError } from '../common/errors.js';
import type { SubscribersServices } from '../subscribers/index.js';
import type { EnforcedService, EnforcementSubscribers } from './ports.js';

type Subs = Pick<SubscribersServices['subscribers'], 'getServices' | 'listServices' | 'getAccount'>;

const pick = (s: EnforcedService): EnforcedService => ({ id: s.id, accountId: s.accountId, login: s.login, nasName: s.nasName, status: s.status, startDate: s.startDate, endDate: s.endDate });

/** Enforcement's view of services, through the subscribers module's service (its port). */
export function enforcementSubscribers(subs: Subs): EnforcementSubscribers {
  const all = async (filter: { nasName?: string; login?: string }): Promise<EnforcedService[]> => {
    const out: EnforcedService[] = [];
    let cursor: string | undefined;
    do {
      const page = await subs.listServices(filter, 500, cursor);
      out.push(...page.items.map(pick));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  };
  return {
    async services(ids) {
      // One query for the whole page, not one per row.
      const found = await subs.getServices(ids);
      return new Map([...found].map(([id, s]) => [id, pick(s)]));
    },
    async servicesOn(devices) {
      const out: EnforcedService[] = [];
      for (const d of new Set(devices)) out.push(...(await all({ nasName: d })));
      return out;
    },
    async accountStatus(accountId) {
      try {
        return (await subs.getAccount(accountId)).status;
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
    async byLogin(login) {
      // The filter is "starts with"; only the exact login is this subscriber.
      return (await all({ login })).filter((s) => s.login === login);
    },
  };
}
