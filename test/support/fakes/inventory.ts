import type { Transaction } from 'sequelize';
import type { InventoryEntry } from '../../../plugin/common/wire.js';
import type { InventoryRepository, InventoryRow } from '../../../plugin/ingest/inventory.repository.js';
import type { FakeDatabase } from './database.js';

/** router_inventory in memory. */
export class FakeInventoryRepository implements Pick<InventoryRepository, 'hasNewerSnapshot' | 'replaceSnapshot' | 'list' | 'namesAfter' | 'entriesNamed'> {
  rows: Array<InventoryRow & { receivedAt: Date }> = [];

  constructor(db: FakeDatabase) {
    db.register({ snapshot: () => structuredClone(this.rows), restore: (s) => void (this.rows = s as typeof this.rows) });
  }

  async hasNewerSnapshot(agentId: number, routerName: string, takenAt: Date, _t: Transaction): Promise<boolean> {
    return this.rows.some((r) => r.agentId === agentId && r.routerName === routerName && r.takenAt > takenAt);
  }

  async replaceSnapshot(agentId: number, routerName: string, takenAt: Date, entries: readonly InventoryEntry[], receivedAt: Date, _t: Transaction): Promise<void> {
    this.rows = this.rows.filter((r) => !(r.agentId === agentId && r.routerName === routerName));
    for (const e of entries) this.rows.push({ ...e, agentId, routerName, takenAt, receivedAt });
  }

  async list(filter: { routerName?: string } = {}): Promise<InventoryRow[]> {
    return this.rows
      .filter((r) => !filter.routerName || r.routerName === filter.routerName)
      .sort((a, b) => a.routerName.localeCompare(b.routerName) || a.name.localeCompare(b.name))
      .map(({ receivedAt: _r, ...row }) => row);
  }

  async namesAfter(after: string, limit: number): Promise<string[]> {
    return [...new Set(this.rows.map((r) => r.name))].filter((n) => n > after).sort().slice(0, limit);
  }

  async entriesNamed(names: readonly string[]): Promise<Array<Omit<InventoryRow, 'agentId' | 'takenAt'>>> {
    return this.rows
      .filter((r) => names.includes(r.name))
      .sort((a, b) => a.name.localeCompare(b.name) || a.routerName.localeCompare(b.routerName) || a.kind.localeCompare(b.kind))
      .map(({ agentId: _a, takenAt: _t, receivedAt: _r, ...entry }) => entry);
  }
}
