import type { Transaction } from 'sequelize';
import type { AgentInfo } from './agents.repository.js';
import type { Clock } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { inventorySnapshot, type InventoryEntry } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { InventoryRepository, InventoryRow } from './inventory.repository.js';
import { describeIssues } from './validate.js';

export type { InventoryRow } from './inventory.repository.js';

/**
 * Router inventory: the latest snapshot per (agent, router) replaces the previous one, in one
 * transaction. An older snapshot arriving late is acknowledged and ignored.
 */
export class InventoryService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'transaction'>;
      inventory: Pick<InventoryRepository, 'hasNewerSnapshot' | 'replaceSnapshot' | 'list' | 'namesAfter' | 'entriesNamed'>;
      clock: Clock;
    },
  ) {}

  async store(agent: AgentInfo, body: unknown): Promise<{ stored: boolean; entries: number }> {
    const parsed = inventorySnapshot.safeParse(body);
    if (!parsed.success) throw new UserError(`malformed inventory snapshot: ${describeIssues(parsed.error)}`);
    const snap = parsed.data;
    const takenAt = new Date(snap.takenAt);
    // A router lists a name once per kind; a repeat in the snapshot keeps the last one.
    const unique = new Map<string, InventoryEntry>();
    for (const e of snap.entries) unique.set(`${e.kind}\u0000${e.name}`, e);
    return this.deps.db.transaction(async (t) => {
      if (await this.deps.inventory.hasNewerSnapshot(agent.id, snap.routerName, takenAt, t)) return { stored: false, entries: 0 };
      await this.deps.inventory.replaceSnapshot(agent.id, snap.routerName, takenAt, [...unique.values()], this.deps.clock.now(), t);
      return { stored: true, entries: unique.size };
    });
  }

  /** The stored entries, for pages and the issue-9 unclaimed-logins list. */
  async list(filter: { routerName?: string } = {}): Promise<InventoryRow[]> {
    return this.deps.inventory.list(filter);
  }

  /** Part of ingest's port: the names routers hold, `limit` at a time after `after`, in the database's order. */
  loginsAfter(after: string, limit: number, t?: Transaction): Promise<string[]> {
    return this.deps.inventory.namesAfter(after, limit, t);
  }

  /** Part of ingest's port: every router entry of these names (which router, kind, profile, comment). */
  entriesOf(logins: readonly string[], t?: Transaction): Promise<Array<Omit<InventoryRow, 'agentId' | 'takenAt'>>> {
    return this.deps.inventory.entriesNamed(logins, t);
  }
}
