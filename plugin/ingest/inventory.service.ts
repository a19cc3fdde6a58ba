import { Op } from 'sequelize';
import type { AgentInfo } from './agents.repository.js';
import type { Clock } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { inventorySnapshot, type InventoryEntry } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { Models } from '../db/models/index.js';
import { describeIssues } from './validate.js';

export interface InventoryRow extends InventoryEntry {
  agentId: number;
  routerName: string;
  takenAt: Date;
}

/**
 * Router inventory: the latest snapshot per (agent, router) replaces the previous one, in one
 * transaction. An older snapshot arriving late is acknowledged and ignored.
 */
export class InventoryService {
  constructor(private readonly deps: { db: Database; models: Pick<Models, 'RouterInventoryEntry'>; clock: Clock }) {}

  async store(agent: AgentInfo, body: unknown): Promise<{ stored: boolean; entries: number }> {
    const parsed = inventorySnapshot.safeParse(body);
    if (!parsed.success) throw new UserError(`malformed inventory snapshot: ${describeIssues(parsed.error)}`);
    const snap = parsed.data;
    const takenAt = new Date(snap.takenAt);
    const unique = new Map<string, InventoryEntry>();
    for (const e of snap.entries) unique.set(`${e.kind}\u0000${e.name}`, e);
    const { RouterInventoryEntry } = this.deps.models;
    return this.deps.db.transaction(async (t) => {
      const where = { agentId: agent.id, routerName: snap.routerName };
      const newer = await RouterInventoryEntry.findOne({ where: { ...where, takenAt: { [Op.gt]: takenAt } }, transaction: t });
      if (newer) return { stored: false, entries: 0 };
      await RouterInventoryEntry.destroy({ where, transaction: t });
      const receivedAt = this.deps.clock.now();
      const rows = [...unique.values()].map((e) => ({
        agentId: agent.id,
        routerName: snap.routerName,
        kind: e.kind,
        name: e.name,
        profile: e.profile ?? null,
        disabled: e.disabled,
        comment: e.comment ?? null,
        takenAt,
        receivedAt,
      }));
      for (let i = 0; i < rows.length; i += 1000) await RouterInventoryEntry.bulkCreate(rows.slice(i, i + 1000), { transaction: t });
      return { stored: true, entries: rows.length };
    });
  }

  /** The stored entries, for pages and the issue-9 unclaimed-logins list. */
  async list(filter: { routerName?: string } = {}): Promise<InventoryRow[]> {
    const rows = await this.deps.models.RouterInventoryEntry.findAll({
      where: filter.routerName ? { routerName: filter.routerName } : {},
      order: [['routerName', 'ASC'], ['name', 'ASC']],
    });
    return rows.map((r) => {
      const v = r.get({ plain: true }) as Record<string, unknown>;
      return {
        agentId: Number(v.agentId),
        routerName: String(v.routerName),
        kind: v.kind as InventoryEntry['kind'],
        name: String(v.name),
        ...(v.profile ? { profile: String(v.profile) } : {}),
        disabled: Boolean(v.disabled),
        ...(v.comment ? { comment: String(v.comment) } : {}),
        takenAt: new Date(v.takenAt as Date),
      };
    });
  }
}
