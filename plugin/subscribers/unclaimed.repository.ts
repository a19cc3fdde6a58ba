import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import type { InventoryService } from '../ingest/index.js';
import type { UnassignedLoginUsage } from '../usage/index.js';

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
export type UnassignedUsage = UnassignedLoginUsage;

/** What this reads of other modules, through their ports (ingest's inventory, usage's unassigned usage). */
export interface UnclaimedSources {
  inventory: Pick<InventoryService, 'loginsAfter' | 'entriesOf'>;
  unassigned(select: { logins: readonly string[] } | { after: string; limit: number }, t?: Transaction): Promise<UnassignedLoginUsage[]>;
}

/** Logins per step of a walk (few round trips for 100,000 router entries), and per IN list. */
const STEP = 5000;
const IN_LIST = 500;

/**
 * Logins no live service claims, from the routers' inventory (ingest) and the unassigned usage
 * (usage), asked through their ports; only "is it claimed?" is read here, from this module's own
 * services table. Read-only.
 */
export class UnclaimedRepository {
  constructor(private readonly db: Database, private readonly sources: UnclaimedSources) {}

  /** Which of these logins a live service holds. */
  private async claimed(logins: readonly string[], t?: Transaction): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < logins.length; i += IN_LIST) {
      const rows = await this.db.sequelize.query<{ l: string }>('SELECT live_login AS l FROM services WHERE live_login IN (:logins)', {
        type: QueryTypes.SELECT,
        replacements: { logins: logins.slice(i, i + IN_LIST) },
        transaction: t,
      });
      for (const r of rows) out.add(String(r.l));
    }
    return out;
  }

  /** Which logins from `first` to `last` (inclusive, the database's order) a live service holds. */
  private async claimedBetween(first: string, last: string, t?: Transaction): Promise<Set<string>> {
    const rows = await this.db.sequelize.query<{ l: string }>('SELECT live_login AS l FROM services WHERE live_login >= :first AND live_login <= :last', {
      type: QueryTypes.SELECT,
      replacements: { first, last },
      transaction: t,
    });
    return new Set(rows.map((r) => String(r.l)));
  }

  /** Walks a source's logins in order, keeping the unclaimed ones, until `limit` (or the end). */
  private async firstUnclaimed<T extends { login: string }>(next: (after: string, n: number) => Promise<T[]>, limit: number | undefined, t?: Transaction): Promise<T[]> {
    const out: T[] = [];
    let after = '';
    for (;;) {
      const page = await next(after, STEP);
      if (page.length === 0) return out;
      // The page is in login order: one range scan of the unique live_login index answers it.
      const claimed = await this.claimedBetween(page[0]!.login, page[page.length - 1]!.login, t);
      for (const item of page) {
        if (claimed.has(item.login)) continue;
        out.push(item);
        if (limit !== undefined && out.length >= limit) return out;
      }
      if (page.length < STEP) return out;
      after = page[page.length - 1]!.login;
    }
  }

  /**
   * Sightings of unclaimed logins: of the given logins, or of the first `limit` unclaimed logins
   * by name (a router can hold 100,000 entries; a page must not list them all).
   */
  async inventory(logins?: string[], transaction?: Transaction, limit?: number): Promise<InventorySighting[]> {
    if (logins && !logins.length) return [];
    let names: string[];
    if (logins) {
      const claimed = await this.claimed(logins, transaction);
      names = logins.filter((l) => !claimed.has(l));
    } else {
      const first = await this.firstUnclaimed(async (after, n) => (await this.sources.inventory.loginsAfter(after, n, transaction)).map((login) => ({ login })), limit, transaction);
      names = first.map((f) => f.login);
    }
    const entries = await this.sources.inventory.entriesOf(names, transaction);
    return entries.map((e) => ({
      login: e.name,
      routerName: e.routerName,
      kind: e.kind,
      profile: e.profile ?? null,
      disabled: e.disabled,
      comment: e.comment ?? null,
    }));
  }

  /** Unassigned usage per login: of the given logins, or of the first `limit` unclaimed logins by name. */
  async unassignedUsage(logins?: string[], transaction?: Transaction, limit?: number): Promise<UnassignedUsage[]> {
    if (logins && !logins.length) return [];
    if (logins) {
      const claimed = await this.claimed(logins, transaction);
      const open = logins.filter((l) => !claimed.has(l));
      return open.length ? this.sources.unassigned({ logins: open }, transaction) : [];
    }
    return this.firstUnclaimed((after, n) => this.sources.unassigned({ after, limit: n }, transaction), limit, transaction);
  }
}
