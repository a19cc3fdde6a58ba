import { QueryTypes, type Transaction } from 'sequelize';
import type { RejectedRecord } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { Models } from '../db/models/index.js';
import { insertIgnore, sqlTime, valuesPlaceholders } from '../db/sql.js';
import type { ValidObservation } from './validate.js';

/** Rows per INSERT: big enough to amortise round trips, small enough for any packet limit. */
const CHUNK = 1000;
const RAW_LIMIT = 65_536;

/**
 * The ingest's writes. Idempotency is the unique indexes' job: (agent, batch id) and
 * (agent, record id); INSERT IGNORE / INSERT OR IGNORE reports how many rows were new.
 */
export class IngestRepository {
  constructor(private readonly db: Database, private readonly models: Pick<Models, 'QuarantinedRecord' | 'IngestBatch'>) {}

  /** False when the agent sent this batch id before. */
  async claimBatch(row: { agentId: number; batchId: string; sentAt: Date; receivedAt: Date; recordCount: number }, t: Transaction): Promise<boolean> {
    const d = this.db.dialect;
    const [, inserted] = await this.db.sequelize.query(
      `${insertIgnore(d)} INTO ingest_batches (agent_id, batch_id, sent_at, received_at, record_count, accepted, duplicate_records, rejected) VALUES (?, ?, ?, ?, ?, 0, 0, 0)`,
      { replacements: [row.agentId, row.batchId, sqlTime(d, row.sentAt), sqlTime(d, row.receivedAt), row.recordCount], type: QueryTypes.INSERT, transaction: t },
    );
    return Number(inserted) === 1;
  }

  async finishBatch(agentId: number, batchId: string, counts: { accepted: number; duplicateRecords: number; rejected: number }, t: Transaction): Promise<void> {
    await this.models.IngestBatch.update(counts, { where: { agentId, batchId }, transaction: t });
  }

  /** Inserts observations not seen before; returns how many were new. */
  async insertObservations(agentId: number, rows: readonly ValidObservation[], receivedAt: Date, t: Transaction): Promise<number> {
    const d = this.db.dialect;
    const received = sqlTime(d, receivedAt);
    let inserted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      const replacements: unknown[] = [];
      for (const r of chunk) {
        replacements.push(
          agentId, r.recordId, r.sessionKey, r.source, r.sourceName, r.sessionId, r.login,
          r.sessionStartMs === null ? null : sqlTime(d, r.sessionStartMs), sqlTime(d, r.observedAtMs),
          r.download.toString(), r.upload.toString(), r.ended, r.framedIp, received,
        );
      }
      const [, n] = await this.db.sequelize.query(
        `${insertIgnore(d)} INTO usage_observations (agent_id, record_id, session_key, source, source_name, session_id, login, session_start, observed_at, download, upload, ended, framed_ip, received_at) VALUES ${valuesPlaceholders(chunk.length, 14)}`,
        { replacements, type: QueryTypes.INSERT, transaction: t },
      );
      inserted += Number(n);
    }
    return inserted;
  }

  async quarantine(agentId: number, batchId: string, records: readonly unknown[], rejected: readonly RejectedRecord[], receivedAt: Date, t: Transaction): Promise<void> {
    if (rejected.length === 0) return;
    await this.models.QuarantinedRecord.bulkCreate(
      rejected.map((r) => ({
        agentId,
        batchId,
        recordIndex: r.index,
        recordId: r.recordId,
        reason: r.reason,
        raw: rawJson(records[r.index]),
        receivedAt,
      })),
      { transaction: t },
    );
  }
}

function rawJson(record: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(record) ?? 'undefined';
  } catch {
    s = String(record);
  }
  return s.length > RAW_LIMIT ? s.slice(0, RAW_LIMIT) : s;
}
