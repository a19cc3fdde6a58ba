import { DateTime } from 'luxon';
import { ConflictError } from '../../common/errors.js';
import type { DemoClock } from './demo-clock.js';
import type { RunningPlugin } from '../../main.js';

/**
 * The demo's dunning story: an invoice from the first of last month that one customer never paid,
 * so at start that account is overdue, dunning suspends it and the agent blocks it on the router;
 * recording a payment restores it. Everyone else paid that month (demo payments keyed by the
 * invoice number, so a restart records nothing twice).
 */
export const OVERDUE_LOGIN = 'user0002';

export interface DemoOverdue {
  /** The older billing date (the first of last month, the billing date before the latest). */
  period: string;
  /** Accounts dunning holds suspended after this start's evaluation (it or the scheduled one suspended them). */
  suspended: number;
}

/** Bills the first of last month as if on that day, once; every account but one pays it. */
export async function issueOverdueMonth(plugin: RunningPlugin, clock: DemoClock, overdueLogin: string): Promise<string> {
  const { billing, invoices } = plugin.services.invoicing;
  const start = DateTime.fromJSDate(clock.firstStart, { zone: plugin.ctx.config.billing.timezone }).startOf('month').minus({ months: 1 });
  const period = start.toISODate()!;
  const earlier = (await billing.runs(50)).find((r) => r.periodKey === period && !r.dryRun && r.status === 'finished' && r.accountsFailed === 0);
  if (!earlier) {
    const run = await clock.during(start.plus({ hours: 1 }).toJSDate(), () => billing.run(period, { dryRun: false, by: 'system:demo' }));
    if (run.status !== 'finished') throw new Error(`demo: the billing run for ${period} ended ${run.status}: ${run.failure ?? ''}`);
  }
  const overdue = (await plugin.services.subscribers.subscribers.listServices({ login: overdueLogin }, 1)).items[0];
  const { rows } = await invoices.list({ periodKey: period, type: 'invoice' }, { limit: 200, offset: 0 });
  for (const inv of rows) {
    if (inv.accountId === overdue?.accountId || !['issued', 'sent'].includes(inv.status) || inv.totalMinor === 0n) continue;
    await plugin.services.payments.record(
      { accountId: inv.accountId, amountMinor: inv.totalMinor, currency: inv.currency, method: 'bank_transfer', reference: inv.number, receivedAt: clock.now(), source: 'demo', externalId: `paid-${inv.number}`, allocateTo: inv.id },
      'system:demo',
    );
  }
  return period;
}

/**
 * One real (not dry-run) dunning evaluation: the overdue accounts are suspended now. Returns how
 * many accounts dunning holds suspended after it: the plugin's own scheduled evaluation may have
 * suspended them a moment before (then this one finds nothing to do), or hold the lease (then this
 * one waits for it).
 */
export async function suspendOverdue(plugin: RunningPlugin): Promise<number> {
  const { dunning } = plugin.services.dunning;
  for (let attempt = 0; ; attempt++) {
    try {
      await dunning.evaluate({ dryRun: false, actor: 'system:demo' });
      break;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return (await dunning.suspendedAccounts()).length;
}
