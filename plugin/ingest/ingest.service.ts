import type { AgentInfo } from './agents.repository.js';
import type { Clock } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { observationBatch, type BatchAck } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { IngestRepository } from './ingest.repository.js';
import { checkRecords, describeIssues, MAX_DESCRIBED_ISSUES } from './validate.js';

export interface IngestOptions {
  /** How far ahead of the plugin's clock an observation may be (agents' clocks drift). */
  futureToleranceMs: number;
}

/**
 * ingestBatch: one agent batch in one transaction. A repeated batch id is acknowledged and
 * changes nothing; records seen before (by record id) are counted as duplicates; bad records are
 * quarantined with their reason; the rest are stored for the rollup.
 */
export class IngestService {
  constructor(private readonly deps: { db: Database; ingest: IngestRepository; clock: Clock; options: IngestOptions }) {}

  async ingestBatch(agent: AgentInfo, body: unknown): Promise<BatchAck> {
    const envelope = observationBatch.safeParse(body);
    if (!envelope.success) {
      throw new UserError(`malformed batch: ${describeIssues(envelope.error)}`, envelope.error.issues.slice(0, MAX_DESCRIBED_ISSUES).map((i) => ({ field: i.path.join('.'), message: i.message })));
    }
    const { batchId, sentAt, records } = envelope.data;
    const now = this.deps.clock.now();
    const { valid, rejected } = checkRecords(records, { nowMs: now.getTime(), futureToleranceMs: this.deps.options.futureToleranceMs });
    return this.deps.db.transaction(async (t) => {
      const fresh = await this.deps.ingest.claimBatch({ agentId: agent.id, batchId, sentAt: new Date(sentAt), receivedAt: now, recordCount: records.length }, t);
      if (!fresh) return { batchId, duplicateBatch: true, accepted: 0, duplicateRecords: 0, rejected: [] };
      const accepted = await this.deps.ingest.insertObservations(agent.id, valid, now, t);
      await this.deps.ingest.quarantine(agent.id, batchId, records, rejected, now, t);
      const duplicateRecords = valid.length - accepted;
      await this.deps.ingest.finishBatch(agent.id, batchId, { accepted, duplicateRecords, rejected: rejected.length }, t);
      return { batchId, duplicateBatch: false, accepted, duplicateRecords, rejected };
    });
  }
}
