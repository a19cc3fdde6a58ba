import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Agents and their ingest (batches, raw observations, quarantine, router inventory), and usage:
 * sessions, each session's usage per hour, and hourly usage per login and service.
 *
 * Byte counters are BIGINT (signed: SQLite has no unsigned 64-bit integer, so ingest rejects
 * counters of 2^63 or more, 9.2 EB in one session, as corrupt). Times are UTC, DATE(3) where
 * milliseconds order observations.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  await q.createTable('agents', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    name: { type: DataTypes.STRING(100), allowNull: false, unique: true },
    /** SHA-256 of the agent's bearer token; the token is shown once and never stored. */
    token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    prefix: { type: DataTypes.STRING(20), allowNull: false },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    last_seen_at: { type: DataTypes.DATE, allowNull: true },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
  });

  await q.createTable('ingest_batches', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agent_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'agents', key: 'id' }, onDelete: 'RESTRICT' },
    batch_id: { type: DataTypes.STRING(64), allowNull: false },
    sent_at: { type: DataTypes.DATE(3), allowNull: false },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
    record_count: { type: DataTypes.INTEGER, allowNull: false },
    accepted: { type: DataTypes.INTEGER, allowNull: false },
    duplicate_records: { type: DataTypes.INTEGER, allowNull: false },
    rejected: { type: DataTypes.INTEGER, allowNull: false },
  });
  // A retried batch hits this index and changes nothing.
  await q.addIndex('ingest_batches', ['agent_id', 'batch_id'], { unique: true, name: 'ingest_batches_agent_batch' });
  await q.addIndex('ingest_batches', ['received_at']);

  await q.createTable('usage_observations', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agent_id: { type: DataTypes.INTEGER, allowNull: false },
    record_id: { type: DataTypes.STRING(64), allowNull: false },
    /** SHA-1 of (source, source_name, session_id): one short key per session. */
    session_key: { type: DataTypes.CHAR(40), allowNull: false },
    source: { type: DataTypes.STRING(8), allowNull: false },
    source_name: { type: DataTypes.STRING(128), allowNull: false },
    session_id: { type: DataTypes.STRING(253), allowNull: false },
    login: { type: DataTypes.STRING(253), allowNull: false },
    session_start: { type: DataTypes.DATE(3), allowNull: true },
    observed_at: { type: DataTypes.DATE(3), allowNull: false },
    download: { type: DataTypes.BIGINT, allowNull: false },
    upload: { type: DataTypes.BIGINT, allowNull: false },
    ended: { type: DataTypes.BOOLEAN, allowNull: false },
    framed_ip: { type: DataTypes.STRING(64), allowNull: true },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
    /** Set once the rollup has folded this observation into its session's hours. */
    rolled_up: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  });
  // A record re-sent in another batch hits this index and is counted as a duplicate.
  await q.addIndex('usage_observations', ['agent_id', 'record_id'], { unique: true, name: 'usage_observations_agent_record' });
  // A session's observations, and its pending ones (the rollup reads only those in the usual case).
  await q.addIndex('usage_observations', ['session_key', 'rolled_up'], { name: 'usage_observations_session' });
  // (rolled_up) alone: new rows append at its end, where (rolled_up, session_key) would insert at random.
  await q.addIndex('usage_observations', ['rolled_up'], { name: 'usage_observations_pending' });
  await q.addIndex('usage_observations', ['observed_at'], { name: 'usage_observations_observed' });

  await q.createTable('ingest_quarantine', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agent_id: { type: DataTypes.INTEGER, allowNull: false },
    batch_id: { type: DataTypes.STRING(64), allowNull: false },
    record_index: { type: DataTypes.INTEGER, allowNull: false },
    record_id: { type: DataTypes.STRING(64), allowNull: true },
    reason: { type: DataTypes.TEXT, allowNull: false },
    /** The record as received (JSON), cut at 64 KiB. */
    raw: { type: DataTypes.TEXT, allowNull: false },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('ingest_quarantine', ['received_at']);
  await q.addIndex('ingest_quarantine', ['agent_id', 'batch_id']);

  await q.createTable('usage_sessions', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    session_key: { type: DataTypes.CHAR(40), allowNull: false, unique: true },
    agent_id: { type: DataTypes.INTEGER, allowNull: false },
    source: { type: DataTypes.STRING(8), allowNull: false },
    source_name: { type: DataTypes.STRING(128), allowNull: false },
    session_id: { type: DataTypes.STRING(253), allowNull: false },
    login: { type: DataTypes.STRING(253), allowNull: false },
    session_start: { type: DataTypes.DATE(3), allowNull: true },
    first_observed_at: { type: DataTypes.DATE(3), allowNull: false },
    /** The latest observation (by observed time) and its counters. */
    last_observed_at: { type: DataTypes.DATE(3), allowNull: false },
    last_download: { type: DataTypes.BIGINT, allowNull: false },
    last_upload: { type: DataTypes.BIGINT, allowNull: false },
    ended: { type: DataTypes.BOOLEAN, allowNull: false },
    framed_ip: { type: DataTypes.STRING(64), allowNull: true },
    /** The last pruned observation: what the remaining raw observations continue from. */
    anchor_observed_at: { type: DataTypes.DATE(3), allowNull: true },
    anchor_download: { type: DataTypes.BIGINT, allowNull: true },
    anchor_upload: { type: DataTypes.BIGINT, allowNull: true },
    /** Observations that arrived after their neighbours were pruned (not counted). */
    ignored_late: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('usage_sessions', ['login']);
  await q.addIndex('usage_sessions', ['source_name', 'ended', 'last_observed_at'], { name: 'usage_sessions_live' });

  await q.createTable('usage_session_hours', {
    session_pk: { type: DataTypes.BIGINT, allowNull: false, primaryKey: true },
    /** 0: frozen (from pruned observations), 1: live (recomputed from raw observations). */
    part: { type: DataTypes.SMALLINT, allowNull: false, primaryKey: true },
    hour_start: { type: DataTypes.DATE, allowNull: false, primaryKey: true },
    download: { type: DataTypes.BIGINT, allowNull: false },
    upload: { type: DataTypes.BIGINT, allowNull: false },
  });

  /**
   * Usage per login and UTC hour, with the service it belongs to. Rows whose service_id is NULL
   * are the unassigned usage (no service had that login at that time); assigning a service
   * updates service_id in place, so usage is never copied, lost or counted twice.
   * Invoices are built from this table.
   */
  await q.createTable('usage_hourly', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    login: { type: DataTypes.STRING(253), allowNull: false },
    hour_start: { type: DataTypes.DATE, allowNull: false },
    service_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'services', key: 'id' }, onDelete: 'SET NULL' },
    /** radius or poll: the one source counted for this login and hour. */
    source: { type: DataTypes.STRING(8), allowNull: false },
    download: { type: DataTypes.BIGINT, allowNull: false },
    upload: { type: DataTypes.BIGINT, allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('usage_hourly', ['login', 'hour_start'], { unique: true, name: 'usage_hourly_login_hour' });
  await q.addIndex('usage_hourly', ['service_id', 'hour_start'], { name: 'usage_hourly_service_hour' });
  await q.addIndex('usage_hourly', ['hour_start']);

  /** The latest inventory snapshot per (agent, router), one row per PPP secret or hotspot user. */
  await q.createTable('router_inventory', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    agent_id: { type: DataTypes.INTEGER, allowNull: false },
    router_name: { type: DataTypes.STRING(128), allowNull: false },
    kind: { type: DataTypes.STRING(8), allowNull: false },
    name: { type: DataTypes.STRING(253), allowNull: false },
    profile: { type: DataTypes.STRING(128), allowNull: true },
    disabled: { type: DataTypes.BOOLEAN, allowNull: false },
    comment: { type: DataTypes.STRING(1024), allowNull: true },
    taken_at: { type: DataTypes.DATE(3), allowNull: false },
    received_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('router_inventory', ['agent_id', 'router_name', 'kind', 'name'], { unique: true, name: 'router_inventory_entry' });
  await q.addIndex('router_inventory', ['name']);

  /** Job leases: a scheduled job runs on one plugin instance at a time. */
  await q.createTable('usage_job_leases', {
    name: { type: DataTypes.STRING(64), primaryKey: true },
    holder: { type: DataTypes.STRING(128), allowNull: false },
    expires_at: { type: DataTypes.DATE(3), allowNull: false },
  });
}
