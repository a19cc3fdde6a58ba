import { QueryTypes, type Transaction } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { Database } from '../db/database.js';
import { fromSqlTime } from '../db/sql.js';

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

/** Usage recorded under a login while no service had it (usage_hourly rows without a service). */
export interface UnassignedLoginUsage {
  login: string;
  download: bigint;
  upload: bigint;
  firstHour: Date;
  lastHour: Date;
}

/**
 * Unassigned usage per login, part of usage's port: of the given logins, or of the first
 * `limit` logins after `after` in the database's order. Sums come back as decimal text, exact
 * past 2^53 where the SQLite driver's numbers are not.
 */
export async function unassignedUsageByLogin(
  db: Pick<Database, 'sequelize' | 'dialect'>,
  select: { logins: readonly string[] } | { after: string; limit: number },
  transaction?: Transaction,
): Promise<UnassignedLoginUsage[]> {
  const text = (expr: string) => (db.dialect === 'sqlite' ? `CAST(${expr} AS TEXT)` : `CAST(${expr} AS CHAR)`);
  const sql = (where: string, tail: string) =>
    `SELECT login, ${text('SUM(download)')} AS download, ${text('SUM(upload)')} AS upload, MIN(hour_start) AS firstHour, MAX(hour_start) AS lastHour
       FROM usage_hourly WHERE service_id IS NULL AND ${where} GROUP BY login ORDER BY login${tail}`;
  const run = (query: string, replacements: Record<string, unknown>) =>
    db.sequelize.query<Record<string, unknown>>(query, { type: QueryTypes.SELECT, replacements, transaction });
  let rows: Record<string, unknown>[] = [];
  if ('logins' in select) {
    for (let i = 0; i < select.logins.length; i += 500) rows.push(...(await run(sql('login IN (:logins)', ''), { logins: select.logins.slice(i, i + 500) })));
  } else {
    rows = await run(sql('login > :after', ' LIMIT :limit'), { after: select.after, limit: select.limit });
  }
  return rows.map((r) => ({
    login: String(r.login),
    download: toBigInt(String(r.download)),
    upload: toBigInt(String(r.upload)),
    firstHour: fromSqlTime(r.firstHour),
    lastHour: fromSqlTime(r.lastHour),
  }));
}
