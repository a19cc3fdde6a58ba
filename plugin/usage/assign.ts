import { QueryTypes, type Transaction } from 'sequelize';
import { NotFoundError } from '../common/errors.js';
import type { PluginContext } from '../context.js';
import { assignHoursOfLogin } from './rollup.service.js';
import { UsageRepository } from './usage.repository.js';

/**
 * Counts a login's unassigned usage for a service: the hours kept while no service had the login
 * that fall within the service's dates (start_date..end_date, ISP time zone) now belong to it.
 * Call it in the transaction that created the service (or changed its login or dates); returns
 * how many hours were assigned. The rollup does the same for any service it finds later, so a
 * missed call delays the assignment by one rollup, never loses usage.
 */
export async function assignUnassignedUsage(
  ctx: Pick<PluginContext, 'db' | 'config'>,
  input: { login: string; serviceId: number },
  transaction?: Transaction,
): Promise<{ hours: number }> {
  const rows = await ctx.db.sequelize.query<{ id: number; login: string; sd: string; ed: string | null }>(
    'SELECT id, login, CAST(start_date AS CHAR) AS sd, CAST(end_date AS CHAR) AS ed FROM services WHERE id = ?',
    { replacements: [input.serviceId], type: QueryTypes.SELECT, transaction },
  );
  const s = rows[0];
  if (!s) throw new NotFoundError(`no service ${input.serviceId}`);
  if (s.login !== input.login) throw new NotFoundError(`service ${input.serviceId} has login ${s.login}, not ${input.login}`);
  const span = { id: Number(s.id), login: s.login, startDate: s.sd.slice(0, 10), endDate: s.ed ? s.ed.slice(0, 10) : null };
  const hours = await assignHoursOfLogin(new UsageRepository(ctx.db), input.login, [span], ctx.config.billing.timezone, transaction);
  return { hours };
}
