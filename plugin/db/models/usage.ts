import { DataTypes, type Sequelize } from 'sequelize';

/**
 * Tables of migrations/0003-ingest-usage.ts that are read and written row by row. The hot paths
 * (observations, session hours, hourly usage) use parameterised multi-row SQL in
 * plugin/ingest and plugin/usage repositories instead.
 */
export function defineUsageModels(sequelize: Sequelize) {
  const Agent = sequelize.define('Agent', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    name: DataTypes.STRING,
    tokenHash: { type: DataTypes.STRING, field: 'token_hash' },
    prefix: DataTypes.STRING,
    createdBy: { type: DataTypes.STRING, field: 'created_by' },
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    lastSeenAt: { type: DataTypes.DATE, field: 'last_seen_at' },
    revokedAt: { type: DataTypes.DATE, field: 'revoked_at' },
  }, { tableName: 'agents' });

  const IngestBatch = sequelize.define('IngestBatch', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agentId: { type: DataTypes.INTEGER, field: 'agent_id' },
    batchId: { type: DataTypes.STRING, field: 'batch_id' },
    contentSha256: { type: DataTypes.CHAR(64), field: 'content_sha256' },
    sentAt: { type: DataTypes.DATE(3), field: 'sent_at' },
    receivedAt: { type: DataTypes.DATE(3), field: 'received_at' },
    recordCount: { type: DataTypes.INTEGER, field: 'record_count' },
    accepted: DataTypes.INTEGER,
    duplicateRecords: { type: DataTypes.INTEGER, field: 'duplicate_records' },
    rejected: DataTypes.INTEGER,
    reusedRecordIds: { type: DataTypes.INTEGER, field: 'reused_record_ids' },
  }, { tableName: 'ingest_batches' });

  const QuarantinedRecord = sequelize.define('QuarantinedRecord', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agentId: { type: DataTypes.INTEGER, field: 'agent_id' },
    batchId: { type: DataTypes.STRING, field: 'batch_id' },
    recordIndex: { type: DataTypes.INTEGER, field: 'record_index' },
    recordId: { type: DataTypes.STRING, field: 'record_id' },
    reason: DataTypes.TEXT,
    raw: DataTypes.TEXT,
    receivedAt: { type: DataTypes.DATE(3), field: 'received_at' },
  }, { tableName: 'ingest_quarantine' });

  const RouterInventoryEntry = sequelize.define('RouterInventoryEntry', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agentId: { type: DataTypes.INTEGER, field: 'agent_id' },
    routerName: { type: DataTypes.STRING, field: 'router_name' },
    kind: DataTypes.STRING,
    name: DataTypes.STRING,
    profile: DataTypes.STRING,
    disabled: DataTypes.BOOLEAN,
    comment: DataTypes.STRING,
    takenAt: { type: DataTypes.DATE(3), field: 'taken_at' },
    receivedAt: { type: DataTypes.DATE(3), field: 'received_at' },
  }, { tableName: 'router_inventory' });

  // usage_job_leases (migration 0003) is no longer used: leases live in job_leases (0006).
  return { Agent, IngestBatch, QuarantinedRecord, RouterInventoryEntry };
}
