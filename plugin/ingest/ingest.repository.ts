import { QueryTypes, type Transaction } from 'sequelize';
import type { RejectedRecord } from '../common/wire.js';
import type { Database } from '../db/database.js';
import type { Models } from '../db/models/index.js';
import { bindPlaceholders, fromSqlTime, fromSqlTimeOrNull, insertIgnore, sqlTime, valuesPlaceholders } from '../db/sql.js';
import type { StoredObservation } from './record-identity.js';
import type { ValidObservation } from './validate.js';

/** Rows per INSERT: big enough to amortise round trips, small enough for any packet limit. */
const CHUNK = 1000;
const RAW_LIMIT = 65_536;

/**
 * The ingest's writes. Idempotency is the unique indexes' job: (agent, batch id, content) and
 * (agent, record id); INSERT IGNORE / INSERT OR IGNORE reports how many rows were new.
 */
export class IngestRepository {
  constructor(private readonly db: Database, private readonly models: Pick<Models, 'QuarantinedRecord' | 'IngestBatch'>) {}

  /**
   * False when the agent sent this batch before: the same id with the same content. The same id
   * with other content (an agent restored from a snapshot reuses its ranges) is a new batch.
   */
  async claimBatch(row: { agentId: number; batchId: string; contentSha256: string; sentAt: Date; receivedAt: Date; recordCount: number }, t: Transaction): Promise<boolean> {
    const d = this.db.dialect;
    const [, inserted] = await this.db.sequelize.query(
      `${insertIgnore(d)} INTO ingest_batches (agent_id, batch_id, content_sha256, sent_at, received_at, record_count, accepted, duplicate_records, rejected, reused_record_ids) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0)`,
      { replacements: [row.agentId, row.batchId, row.contentSha256, sqlTime(d, row.sentAt), sqlTime(d, row.receivedAt), row.recordCount], type: QueryTypes.INSERT, transaction: t },
    );
    return Number(inserted) === 1;
  }

  async finishBatch(
    key: { agentId: number; batchId: string; contentSha256: string },
    counts: { accepted: number; duplicateRecords: number; rejected: number; reusedRecordIds: number },
    t: Transaction,
  ): Promise<void> {
    await this.models.IngestBatch.update(counts, { where: key, transaction: t });
  }

  /** The stored observations of these record ids (to tell a re-delivery from a reused id). */
  async storedObservations(agentId: number, recordIds: readonly string[], t: Transaction): Promise<Map<string, StoredObservation>> {
    const out = new Map<string, StoredObservation>();
    const ids = [...new Set(recordIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await this.db.sequelize.query<Record<string, unknown>>(
        `SELECT record_id, session_key, login, session_start, observed_at, download, upload, ended FROM usage_observations WHERE agent_id = ? AND record_id IN (${chunk.map(() => '?').join(', ')})`,
        { replacements: [agentId, ...chunk], type: QueryTypes.SELECT, transaction: t },
      );
      for (const r of rows) {
        out.set(String(r.record_id), {
          recordId: String(r.record_id),
          sessionKey: String(r.session_key),
          login: String(r.login),
          sessionStartMs: fromSqlTimeOrNull(r.session_start)?.getTime() ?? null,
          observedAtMs: fromSqlTime(r.observed_at).getTime(),
          download: BigInt(String(r.download)),
          upload: BigInt(String(r.upload)),
          ended: r.ended === true || Number(r.ended) === 1,
        });
      }
    }
    return out;
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
          r.download.toString(), r.upload.toString(), r.ended, r.framedIp, received, r.synthetic,
        );
      }
      const sql = `${insertIgnore(d)} INTO usage_observations (agent_id, record_id, session_key, source, source_name, session_id, login, session_start, observed_at, download, upload, ended, framed_ip, received_at, synthetic) VALUES `;
      // MySQL: bound parameters of a prepared statement (one per chunk size, reused by the
      // connection) instead of 15,000 values escaped into the SQL text and parsed back: the
      // ingest's largest cost after the server's own work.
      const [, n] = d === 'mysql'
        ? await this.db.sequelize.query(sql + bindPlaceholders(chunk.length, 15), { bind: replacements, type: QueryTypes.INSERT, transaction: t })
        : await this.db.sequelize.query(sql + valuesPlaceholders(chunk.length, 15), { replacements, type: QueryTypes.INSERT, transaction: t });
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
