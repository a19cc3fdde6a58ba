import type { Transaction } from 'sequelize';
import type { Database } from '../../../plugin/db/database.js';

/** A fake whose state a rolled-back transaction puts back as it was. */
export interface TransactionalState {
  snapshot(): unknown;
  restore(state: unknown): void;
}

export interface FakeTransactionLog {
  id: number;
  outcome: 'open' | 'committed' | 'rolled back';
}

/**
 * The database as services see it (`transaction`): each call gets its own transaction object;
 * a callback that throws rolls back every fake built on this database to its state before, as
 * the real one would. `log` says which transactions ran and how they ended.
 */
export class FakeDatabase implements Pick<Database, 'transaction'> {
  readonly log: FakeTransactionLog[] = [];
  private readonly states: TransactionalState[] = [];

  /** Called by the fakes built on this database. */
  register(state: TransactionalState): void {
    this.states.push(state);
  }

  async transaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T> {
    const entry: FakeTransactionLog = { id: this.log.length + 1, outcome: 'open' };
    this.log.push(entry);
    const before = this.states.map((s) => s.snapshot());
    try {
      const out = await fn({ fakeTransaction: entry.id } as unknown as Transaction);
      entry.outcome = 'committed';
      return out;
    } catch (err) {
      this.states.forEach((s, i) => s.restore(before[i]));
      entry.outcome = 'rolled back';
      throw err;
    }
  }

  /** The id of the fake transaction a repository call ran in (undefined: none). */
  static idOf(t: Transaction | undefined): number | undefined {
    return (t as unknown as { fakeTransaction?: number } | undefined)?.fakeTransaction;
  }
}
