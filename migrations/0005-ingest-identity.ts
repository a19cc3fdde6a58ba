import { DataTypes, QueryTypes } from 'sequelize';
import { bindIdentityColumns } from '../plugin/db/identity-collation.js';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Ingest identity.
 *
 * A batch is the same batch again only with the same content: an agent restored from a VM
 * snapshot reuses its spool's batch ids for new records, which the plugin must store. The
 * batch's unique key becomes (agent, batch id, SHA-256 of its records); batches stored before
 * carry '' and so never match a new one (their records are still recognised by record id).
 *
 * On MySQL/MariaDB every identity column compares byte for byte with trailing spaces kept (a NO
 * PAD binary collation), on a database created with the server's defaults too, and the tables and
 * the database default to it for what later migrations add.
 */
export async function up(ctx: MigrationContext): Promise<void> {
  const { queryInterface: q, dialect } = ctx;
  const columns = await q.describeTable('ingest_batches');
  if (!columns.content_sha256) await q.addColumn('ingest_batches', 'content_sha256', { type: DataTypes.CHAR(64), allowNull: false, defaultValue: '' });
  if (!columns.reused_record_ids) await q.addColumn('ingest_batches', 'reused_record_ids', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  const indexes = (await q.showIndex('ingest_batches')) as Array<{ name: string }>;
  if (!indexes.some((i) => i.name === 'ingest_batches_agent_batch_content')) {
    await q.addIndex('ingest_batches', ['agent_id', 'batch_id', 'content_sha256'], { unique: true, name: 'ingest_batches_agent_batch_content' });
  }
  // The new index starts with (agent_id), so the foreign key on agent_id keeps an index when the
  // old one goes.
  if (indexes.some((i) => i.name === 'ingest_batches_agent_batch')) await q.removeIndex('ingest_batches', 'ingest_batches_agent_batch');

  if (dialect === 'mysql') {
    const tables = await q.sequelize.query<{ t: string }>(
      "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT LIKE 'octet\\_migration%'",
      { type: QueryTypes.SELECT },
    );
    await bindIdentityColumns(ctx, tables.map((r) => r.t));
  }
}
