import type { Transaction } from 'sequelize';
import type { RejectedRecord } from '../../../plugin/common/wire.js';
import type { IngestRepository } from '../../../plugin/ingest/ingest.repository.js';
import type { StoredObservation } from '../../../plugin/ingest/record-identity.js';
import type { ValidObservation } from '../../../plugin/ingest/validate.js';
import { FakeDatabase } from './database.js';

type Methods = 'claimBatch' | 'finishBatch' | 'storedObservations' | 'insertObservations' | 'quarantine';

interface Batch {
  agentId: number;
  batchId: string;
  contentSha256: string;
  recordCount: number;
  counts: { accepted: number; duplicateRecords: number; rejected: number; reusedRecordIds: number } | null;
}

interface Stored extends ValidObservation {
  agentId: number;
  receivedAt: Date;
  transaction: number | undefined;
}

interface State {
  batches: Batch[];
  observations: Stored[];
  quarantined: Array<{ agentId: number; batchId: string; recordIndex: number; reason: string; raw: unknown }>;
}

/**
 * The ingest tables in memory, with the unique keys the real ones have: (agent, batch id,
 * content) for batches, (agent, record id) for observations.
 */
export class FakeIngestRepository implements Pick<IngestRepository, Methods> {
  state: State = { batches: [], observations: [], quarantined: [] };

  constructor(db: FakeDatabase) {
    db.register({ snapshot: () => structuredClone(this.state), restore: (s) => void (this.state = s as State) });
  }

  async claimBatch(row: { agentId: number; batchId: string; contentSha256: string; sentAt: Date; receivedAt: Date; recordCount: number }, _t: Transaction): Promise<boolean> {
    if (this.state.batches.some((b) => b.agentId === row.agentId && b.batchId === row.batchId && b.contentSha256 === row.contentSha256)) return false;
    this.state.batches.push({ agentId: row.agentId, batchId: row.batchId, contentSha256: row.contentSha256, recordCount: row.recordCount, counts: null });
    return true;
  }

  async finishBatch(
    key: { agentId: number; batchId: string; contentSha256: string },
    counts: { accepted: number; duplicateRecords: number; rejected: number; reusedRecordIds: number },
    _t: Transaction,
  ): Promise<void> {
    const b = this.state.batches.find((x) => x.agentId === key.agentId && x.batchId === key.batchId && x.contentSha256 === key.contentSha256);
    if (b) b.counts = { ...counts };
  }

  async storedObservations(agentId: number, recordIds: readonly string[], _t: Transaction): Promise<Map<string, StoredObservation>> {
    const out = new Map<string, StoredObservation>();
    for (const o of this.state.observations) {
      if (o.agentId !== agentId || !recordIds.includes(o.recordId)) continue;
      out.set(o.recordId, {
        recordId: o.recordId,
        sessionKey: o.sessionKey,
        login: o.login,
        sessionStartMs: o.sessionStartMs,
        observedAtMs: o.observedAtMs,
        download: o.download,
        upload: o.upload,
        ended: o.ended,
      });
    }
    return out;
  }

  async insertObservations(agentId: number, rows: readonly ValidObservation[], receivedAt: Date, t: Transaction): Promise<number> {
    let inserted = 0;
    for (const r of rows) {
      if (this.state.observations.some((o) => o.agentId === agentId && o.recordId === r.recordId)) continue;
      this.state.observations.push({ ...r, agentId, receivedAt, transaction: FakeDatabase.idOf(t) });
      inserted++;
    }
    return inserted;
  }

  async quarantine(agentId: number, batchId: string, records: readonly unknown[], rejected: readonly RejectedRecord[], _receivedAt: Date, _t: Transaction): Promise<void> {
    for (const r of rejected) this.state.quarantined.push({ agentId, batchId, recordIndex: r.index, reason: r.reason, raw: records[r.index] });
  }
}
