import type { Transaction } from 'sequelize';
import type { AuditEvent, AuditRepository } from '../../../plugin/audit/index.js';
import { FakeDatabase } from './database.js';

/** The audit log in memory: every event with the transaction it was recorded in. */
export class FakeAuditRepository implements Pick<AuditRepository, 'record'> {
  events: Array<AuditEvent & { transaction: number | undefined }> = [];

  constructor(db: FakeDatabase) {
    db.register({ snapshot: () => [...this.events], restore: (s) => void (this.events = s as typeof this.events) });
  }

  async record(event: AuditEvent, transaction?: Transaction): Promise<void> {
    this.events.push({ ...event, transaction: FakeDatabase.idOf(transaction) });
  }
}
