import type { Clock } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { observationBatch, type BatchAck } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { AgentInfo } from './agents.repository.js';
import type { IngestRepository } from './ingest.repository.js';
import { batchContentDigest, reusedIds, reusedRecordId } from './record-identity.js';
import { checkRecords, describeIssues, MAX_DESCRIBED_ISSUES, type ValidObservation } from './validate.js';

export interface IngestOptions {
  /** How far ahead of the plugin's clock an observation may be (agents' clocks drift). */
  futureToleranceMs: number;
}

/**
 * ingestBatch: one agent batch in one transaction. A batch sent before (same id, same content) is
 * acknowledged and changes nothing; records seen before (same record id, same content) are
 * counted as duplicates; a record whose id is held by other content is stored under an id derived
 * from its content (never dropped: counters are cumulative, so an extra sighting adds no bytes,
 * while a dropped one may lose them); bad records are quarantined with their reason.
 */
export class IngestService {
  constructor(private readonly deps: { db: Database; ingest: IngestRepository; clock: Clock; logger?: Logger; options: IngestOptions }) {}

  async ingestBatch(agent: AgentInfo, body: unknown): Promise<BatchAck> {
    const envelope = observationBatch.safeParse(body);
    if (!envelope.success) {
      throw new UserError(`malformed batch: ${describeIssues(envelope.error)}`, envelope.error.issues.slice(0, MAX_DESCRIBED_ISSUES).map((i) => ({ field: i.path.join('.'), message: i.message })));
    }
    const { batchId, sentAt, records } = envelope.data;
    const now = this.deps.clock.now();
    const contentSha256 = batchContentDigest(records);
    const { valid, rejected } = checkRecords(records, { nowMs: now.getTime(), futureToleranceMs: this.deps.options.futureToleranceMs });
    const ack = await this.deps.db.transaction(async (t) => {
      const key = { agentId: agent.id, batchId, contentSha256 };
      const fresh = await this.deps.ingest.claimBatch({ ...key, sentAt: new Date(sentAt), receivedAt: now, recordCount: records.length }, t);
      if (!fresh) return { ack: { batchId, duplicateBatch: true, accepted: 0, duplicateRecords: 0, rejected: [] }, reused: 0 };
      let accepted = await this.deps.ingest.insertObservations(agent.id, valid, now, t);
      let reused = 0;
      if (accepted < valid.length) {
        // Some ids were taken: re-deliveries, or ids another content holds (rare: only then read back).
        const conflicting = reusedIds(valid, await this.deps.ingest.storedObservations(agent.id, valid.map((r) => r.recordId), t));
        if (conflicting.length > 0) {
          const renamed: ValidObservation[] = conflicting.map((r) => ({ ...r, recordId: reusedRecordId(r) }));
          reused = await this.deps.ingest.insertObservations(agent.id, renamed, now, t);
          accepted += reused;
        }
      }
      await this.deps.ingest.quarantine(agent.id, batchId, records, rejected, now, t);
      const duplicateRecords = valid.length - accepted;
      await this.deps.ingest.finishBatch(key, { accepted, duplicateRecords, rejected: rejected.length, reusedRecordIds: reused }, t);
      return { ack: { batchId, duplicateBatch: false, accepted, duplicateRecords, rejected }, reused };
      // A conflict (deadlock, or a Galera certification failure) rolled all of it back: run it again.
    }, { retryConflicts: true });
    if (ack.reused > 0) {
      this.deps.logger?.warn('ingest: an agent reused record ids for other content (restored from a snapshot?); stored them under derived ids', {
        agent: agent.name,
        batchId,
        records: ack.reused,
      });
    }
    return ack.ack;
  }
}
