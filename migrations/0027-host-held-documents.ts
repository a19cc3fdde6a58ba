import { DataTypes, QueryTypes, type Sequelize } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Octet documents (invoices and credit notes) the host sync's charges stream passed while their
 * account had no host link (plugin/host/sync.service.ts). One row per host and document, with
 * the document's header, so that the stream can post it once the account is linked and then
 * remove the row. `ready` is set when a customer link to the account is saved (and when a row is
 * held for an account linked meanwhile): each pass reads only ready rows, so accounts that are
 * never linked (Octet's own) cost nothing per pass however many documents they have.
 *
 * Backfill: documents below a host's charges cursor that are issued and have nothing in
 * host_posted_charges for that host were skipped before this table existed (unlinked accounts,
 * and every credit note, which the stream did not list): they are held now, ready where the
 * account is linked already, so the next pass posts them.
 */
export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  await q.createTable('host_held_documents', {
    host: { type: DataTypes.STRING(16), primaryKey: true, allowNull: false },
    invoice_id: { type: DataTypes.BIGINT, primaryKey: true, allowNull: false },
    account_id: { type: DataTypes.INTEGER, allowNull: false },
    /** invoice or credit_note. */
    doc_type: { type: DataTypes.STRING(16), allowNull: false },
    number: { type: DataTypes.STRING(64), allowNull: true },
    issue_date: { type: DataTypes.STRING(10), allowNull: true },
    due_date: { type: DataTypes.STRING(10), allowNull: true },
    currency: { type: DataTypes.STRING(3), allowNull: false },
    /** True once the account has a customer link on this host: the next pass posts it. */
    ready: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    held_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('host_held_documents', ['host', 'ready', 'invoice_id'], { name: 'host_held_documents_ready' });
  await q.addIndex('host_held_documents', ['host', 'account_id'], { name: 'host_held_documents_account' });

  await backfillHeldDocuments(q.sequelize, dialect);
}

/** The backfill of the header comment (exported for its spec). */
export async function backfillHeldDocuments(sequelize: Sequelize, dialect: MigrationContext['dialect']): Promise<void> {
  const states = await sequelize.query<{ host: string; cursor_text: string | null }>("SELECT host, cursor_text FROM host_sync_state WHERE stream = 'charges' AND cursor_text IS NOT NULL", { type: QueryTypes.SELECT });
  const day = (col: string) => (dialect === 'sqlite' ? `substr(${col}, 1, 10)` : `DATE_FORMAT(${col}, '%Y-%m-%d')`);
  for (const s of states) {
    if (!s.cursor_text || !/^\d{1,19}$/.test(s.cursor_text)) continue;
    await sequelize.query(
      `${dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE'} INTO host_held_documents (host, invoice_id, account_id, doc_type, number, issue_date, due_date, currency, ready, held_at)
       SELECT ?, i.id, i.account_id, i.type, i.number, ${day('i.issue_date')}, ${day('i.due_date')}, i.currency,
              CASE WHEN EXISTS (SELECT 1 FROM host_links l WHERE l.host = ? AND l.kind = 'customer' AND l.octet_id = i.account_id) THEN 1 ELSE 0 END, CURRENT_TIMESTAMP
         FROM invoices i
        WHERE i.id <= ? AND (i.status IN ('issued', 'sent', 'paid') OR (i.status = 'void' AND i.issued_at IS NOT NULL AND i.number IS NOT NULL))
          AND NOT EXISTS (SELECT 1 FROM host_posted_charges p WHERE p.host = ? AND p.invoice_id = i.id)`,
      { replacements: [s.host, s.host, s.cursor_text, s.host] },
    );
  }
}
