import { DateTime } from 'luxon';
import type { PluginContext } from '../context.js';
import { assignUnassignedUsage, createUsageQueries, loginsWithUnassignedUsage, type UsageQueries } from '../usage/index.js';
import type { UsageLink } from './usage-link.js';

/** Usage of one account, as the account page shows it. */
export interface AccountUsage {
  /** Sessions of the account's logins that are live now. */
  liveSessions: Array<{ login: string; sourceName: string; sessionStart: Date | null; lastObservedAt: Date; download: bigint; upload: bigint; framedIp: string | null }>;
  /** Bytes per service over the period. */
  perService: Array<{ serviceId: number; download: bigint; upload: bigint }>;
  period: { from: Date; to: Date; label: string };
}

export interface UsageBinding {
  link: UsageLink;
  /** null where no usage module is there to ask. */
  accountUsage: ((accountId: number, logins: string[]) => Promise<AccountUsage>) | null;
}

/**
 * Binds subscribers to the usage module (plugin/usage/index.ts, issue 5): moving a login's
 * unassigned usage onto a new service, and the usage and live sessions the account page shows
 * (the current calendar month in the ISP's time zone).
 */
export function usageFor(ctx: PluginContext, queries: UsageQueries = createUsageQueries(ctx)): UsageBinding {
  const tz = ctx.config.billing.timezone;
  return {
    link: {
      adoptUnassigned: async (service, transaction) => (await assignUnassignedUsage(ctx, { login: service.login, serviceId: service.id }, transaction)).hours,
      loginsWithUnassigned: (logins, transaction) => loginsWithUnassignedUsage(ctx.db, logins, transaction),
    },
    accountUsage: async (accountId, logins) => {
      const monthStart = DateTime.fromJSDate(ctx.clock.now()).setZone(tz).startOf('month');
      const from = monthStart.toMillis();
      const to = monthStart.plus({ months: 1 }).toMillis();
      const [usage, live] = await Promise.all([queries.accountUsage(accountId, from, to), queries.liveSessions({ logins })]);
      return {
        liveSessions: live,
        perService: usage.services.map((s) => ({ serviceId: s.serviceId, download: s.download, upload: s.upload })),
        period: { from: new Date(from), to: new Date(to), label: `${monthStart.toFormat('LLLL yyyy')} (${tz})` },
      };
    },
  };
}
