import type { Transaction } from 'sequelize';
import { NotFoundError } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import { UsageAssignment } from './assignment.js';

/**
 * Counts a login's unassigned usage for a service: its rows are re-decided by the one assignment
 * rule (assignment.ts, service-match.ts), so the hours kept while no service had the login that
 * fall within this service's dates now belong to it. Call it in the transaction that created the
 * service (or changed its login, dates or end); returns how many rows moved to a service. The
 * rollup's catch-up does the same for any service it finds later, so a missed call delays the
 * assignment, never loses usage.
 */
export async function assignUnassignedUsage(
  ctx: Pick<PluginContext, 'db' | 'config'>,
  input: { login: string; serviceId: number },
  transaction?: Transaction,
): Promise<{ hours: number }> {
  const assignment = new UsageAssignment({ db: ctx.db, timezone: ctx.config.billing.timezone });
  const run = async (t: Transaction) => {
    const spans = await assignment.spans([input.login], t);
    const s = spans.find((x) => x.id === input.serviceId);
    if (!s) throw new NotFoundError(`no service ${input.serviceId} with login ${input.login}`);
    return { hours: await assignment.reassign([input.login], t) };
  };
  return transaction ? run(transaction) : ctx.db.transaction(run);
}
