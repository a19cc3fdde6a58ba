import { Op, QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import type { InventoryEntry } from '../common/wire.js';
import type { Models } from '../db/models/index.js';

export interface InventoryRow extends InventoryEntry {
  agentId: number;
  routerName: string;
  takenAt: Date;
}

/** router_inventory: the latest snapshot per (agent, router), one row per PPP secret or hotspot user. */
export class InventoryRepository {
  constructor(private readonly models: Pick<Models, 'RouterInventoryEntry'>, private readonly db: Pick<Database, 'sequelize'>) {}

  private get sequelize() {
    return this.db.sequelize;
  }

  /** Distinct names any router holds, after `after` in the database's order (a walk for the unclaimed list). */
  async namesAfter(after: string, limit: number, t?: Transaction): Promise<string[]> {
    const rows = await this.sequelize.query<{ n: string }>('SELECT DISTINCT name AS n FROM router_inventory WHERE name > :after ORDER BY name LIMIT :limit', {
      type: QueryTypes.SELECT,
      replacements: { after, limit },
      transaction: t,
    });
    return rows.map((r) => String(r.n));
  }

  /** Every router entry of these names, ordered by name, router and kind. */
  async entriesNamed(names: readonly string[], t?: Transaction): Promise<Array<Omit<InventoryRow, 'agentId' | 'takenAt'>>> {
    if (names.length === 0) return [];
    const out: Array<Omit<InventoryRow, 'agentId' | 'takenAt'>> = [];
    for (let i = 0; i < names.length; i += 500) {
      const rows = await this.sequelize.query<Record<string, unknown>>(
        `SELECT name, router_name AS routerName, kind, profile, disabled, comment FROM router_inventory WHERE name IN (:names) ORDER BY name, router_name, kind`,
        { type: QueryTypes.SELECT, replacements: { names: names.slice(i, i + 500) }, transaction: t },
      );
      for (const r of rows) {
        out.push({
          routerName: String(r.routerName),
          kind: r.kind === 'hotspot' ? 'hotspot' : 'ppp',
          name: String(r.name),
          ...(r.profile === null || r.profile === undefined || r.profile === '' ? {} : { profile: String(r.profile) }),
          disabled: Boolean(Number(r.disabled)),
          ...(r.comment === null || r.comment === undefined || r.comment === '' ? {} : { comment: String(r.comment) }),
        });
      }
    }
    return out;
  }

  /** Whether a snapshot taken after `takenAt` is stored for this agent and router. */
  async hasNewerSnapshot(agentId: number, routerName: string, takenAt: Date, t: Transaction): Promise<boolean> {
    const newer = await this.models.RouterInventoryEntry.findOne({ where: { agentId, routerName, takenAt: { [Op.gt]: takenAt } }, transaction: t });
    return newer !== null;
  }

  /** Replaces the agent's and router's stored snapshot with these entries. */
  async replaceSnapshot(agentId: number, routerName: string, takenAt: Date, entries: readonly InventoryEntry[], receivedAt: Date, t: Transaction): Promise<void> {
    const { RouterInventoryEntry } = this.models;
    await RouterInventoryEntry.destroy({ where: { agentId, routerName }, transaction: t });
    const rows = entries.map((e) => ({
      agentId,
      routerName,
      kind: e.kind,
      name: e.name,
      profile: e.profile ?? null,
      disabled: e.disabled,
      comment: e.comment ?? null,
      takenAt,
      receivedAt,
    }));
    for (let i = 0; i < rows.length; i += 1000) await RouterInventoryEntry.bulkCreate(rows.slice(i, i + 1000), { transaction: t });
  }

  async list(filter: { routerName?: string } = {}): Promise<InventoryRow[]> {
    const rows = await this.models.RouterInventoryEntry.findAll({
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
