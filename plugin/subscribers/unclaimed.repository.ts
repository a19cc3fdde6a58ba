import { QueryTypes, type Transaction } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { Database } from '../db/database.js';

/** A login a router holds (PPP secret or hotspot user) that no live service claims. */
export interface InventorySighting {
  login: string;
  routerName: string;
  kind: 'ppp' | 'hotspot';
  profile: string | null;
  disabled: boolean;
  comment: string | null;
}

/** Usage recorded under a login while no service had it (usage_hourly rows without a service). */
export interface UnassignedUsage {
  login: string;
  download: bigint;
  upload: bigint;
  firstHour: Date;
  lastHour: Date;
}

function asDate(v: unknown): Date {
  if (v instanceof Date) return v;
  const s = String(v);
  // SQLite hands DATE columns back as text ("2026-03-01 10:00:00.000 +00:00").
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  return m ? new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`) : new Date(s);
}

/**
 * Reads the tables of the ingest and usage module (migration 0003: router_inventory and the
 * unassigned rows of usage_hourly) for logins that no live service claims. Read-only.
 */
export class UnclaimedRepository {
  constructor(private readonly db: Database) {}

  /** Sums as decimal text: exact past 2^53, where the SQLite driver's numbers are not. */
  private text(expr: string): string {
    return this.db.dialect === 'sqlite' ? `CAST(${expr} AS TEXT)` : `CAST(${expr} AS CHAR)`;
  }

  /**
   * Sightings of unclaimed logins: of the given logins, or of the first `limit` unclaimed logins
   * by name (a router can hold 100,000 entries; a page must not list them all).
   */
  async inventory(logins?: string[], transaction?: Transaction, limit?: number): Promise<InventorySighting[]> {
    const only = logins ? ' AND r.name IN (:logins)' : '';
    if (logins && !logins.length) return [];
    // A derived table, since neither MySQL nor MariaDB take LIMIT inside an IN (...) subquery.
    const first =
      limit === undefined
        ? ''
        : `JOIN (SELECT DISTINCT r2.name AS n FROM router_inventory r2
                  WHERE NOT EXISTS (SELECT 1 FROM services s2 WHERE s2.live_login = r2.name)
                  ORDER BY r2.name LIMIT :limit) f ON f.n = r.name`;
    const rows = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT r.name AS login, r.router_name AS routerName, r.kind AS kind, r.profile AS profile, r.disabled AS disabled, r.comment AS comment
         FROM router_inventory r ${first}
        WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.live_login = r.name)${only}
        ORDER BY r.name, r.router_name, r.kind`,
      { type: QueryTypes.SELECT, replacements: { logins, limit }, transaction },
    );
    return rows.map((r) => ({
      login: String(r.login),
      routerName: String(r.routerName),
      kind: r.kind === 'hotspot' ? 'hotspot' : 'ppp',
      profile: r.profile === null || r.profile === undefined || r.profile === '' ? null : String(r.profile),
      disabled: Boolean(Number(r.disabled)),
      comment: r.comment === null || r.comment === undefined || r.comment === '' ? null : String(r.comment),
    }));
  }

  /** Unassigned usage per login: of the given logins, or of the first `limit` logins by name. */
  async unassignedUsage(logins?: string[], transaction?: Transaction, limit?: number): Promise<UnassignedUsage[]> {
    const only = logins ? ' AND u.login IN (:logins)' : '';
    if (logins && !logins.length) return [];
    const rows = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT u.login AS login, ${this.text('SUM(u.download)')} AS download, ${this.text('SUM(u.upload)')} AS upload,
              MIN(u.hour_start) AS firstHour, MAX(u.hour_start) AS lastHour
         FROM usage_hourly u
        WHERE u.service_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM services s WHERE s.live_login = u.login)${only}
        GROUP BY u.login
        ORDER BY u.login${limit === undefined ? '' : ' LIMIT :limit'}`,
      { type: QueryTypes.SELECT, replacements: { logins, limit }, transaction },
    );
    return rows.map((r) => ({
      login: String(r.login),
      download: toBigInt(String(r.download)),
      upload: toBigInt(String(r.upload)),
      firstHour: asDate(r.firstHour),
      lastHour: asDate(r.lastHour),
    }));
  }
}
