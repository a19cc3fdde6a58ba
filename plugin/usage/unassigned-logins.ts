import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';

/**
 * Which of these logins have unassigned usage at all (usage_hourly rows with no service), so that
 * a bulk import asks the assignment only for those. Part of usage's port: subscribers calls it
 * instead of reading usage_hourly itself.
 */
export async function loginsWithUnassignedUsage(db: Pick<Database, 'sequelize'>, logins: readonly string[], transaction?: Transaction): Promise<Set<string>> {
  const out = new Set<string>();
  // In slices, so that an import of many thousand logins stays under the drivers' placeholder limits.
  for (let i = 0; i < logins.length; i += 500) {
    const rows = await db.sequelize.query<{ login: string }>('SELECT DISTINCT login FROM usage_hourly WHERE service_id IS NULL AND login IN (:logins)', {
      replacements: { logins: logins.slice(i, i + 500) },
      type: QueryTypes.SELECT,
      transaction,
    });
    for (const r of rows) out.add(String(r.login));
  }
  return out;
}
