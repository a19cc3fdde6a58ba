import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * Invoices and credit notes (plugin/invoicing/).
 *
 * - `document_counters`: one row per numbering series ('invoice', 'credit_note'). A number is
 *   taken from this row under lock in the transaction that issues the document, so numbers have
 *   no gaps (a rolled-back issue gives its number back) and never depend on AUTO_INCREMENT, which
 *   leaves gaps and steps by node count on Galera.
 * - `invoices`: one row per document. `idempotency_key` makes a billing run safe to repeat:
 *   `run:invoice:<account>:<period>` can exist once. `document` is the complete snapshot the
 *   invoice was issued with (lines, usage, taxes, parties, branding, terms), so the HTML and PDF
 *   re-render the same forever; `content_sha256` is its hash, checked on every read.
 * - `invoice_lines`: the fees of the document, one row per line (for CSV export and reports).
 * - `invoice_usage`: per service and usage window, the bytes billed, as counted at issue time,
 *   and the late adjustments the document carries: reconciliation compares these with the
 *   hourly usage.
 * - `billing_runs` / `billing_run_errors`: progress and per-account failures of a run.
 * - `usage_adjustments.carried_by`: the invoice that carried a late adjustment (owned by usage:
 *   billing marks it through usage's port in the issuing transaction, so each adjustment is
 *   billed once).
 */
export async function up({ queryInterface: q, dialect }: MigrationContext): Promise<void> {
  await q.createTable('document_counters', {
    series: { type: DataTypes.STRING(32), primaryKey: true },
    next_number: { type: DataTypes.BIGINT, allowNull: false },
  });
  await q.bulkInsert('document_counters', [
    { series: 'invoice', next_number: 1 },
    { series: 'credit_note', next_number: 1 },
  ]);

  await q.createTable('invoices', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    type: { type: DataTypes.STRING(16), allowNull: false },
    series: { type: DataTypes.STRING(32), allowNull: false },
    sequence: { type: DataTypes.BIGINT, allowNull: true },
    number: { type: DataTypes.STRING(40), allowNull: true },
    idempotency_key: { type: DataTypes.STRING(120), allowNull: false },
    account_id: { type: DataTypes.INTEGER, allowNull: false },
    /** Local date (YYYY-MM-DD) of the start of the period the document was issued for. */
    period_key: { type: DataTypes.STRING(10), allowNull: false },
    period_from: { type: DataTypes.DATE(3), allowNull: false },
    period_to: { type: DataTypes.DATE(3), allowNull: false },
    status: { type: DataTypes.STRING(10), allowNull: false },
    currency: { type: DataTypes.STRING(3), allowNull: false },
    issued_at: { type: DataTypes.DATE(3), allowNull: true },
    issue_date: { type: DataTypes.DATEONLY, allowNull: true },
    due_date: { type: DataTypes.DATEONLY, allowNull: true },
    net_minor: { type: DataTypes.BIGINT, allowNull: false },
    tax_minor: { type: DataTypes.BIGINT, allowNull: false },
    total_minor: { type: DataTypes.BIGINT, allowNull: false },
    credited_invoice_id: { type: DataTypes.BIGINT, allowNull: true },
    billing_run_id: { type: DataTypes.BIGINT, allowNull: true },
    document: { type: dialect === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT, allowNull: false },
    content_sha256: { type: DataTypes.CHAR(64), allowNull: false },
    sent_at: { type: DataTypes.DATE(3), allowNull: true },
    paid_at: { type: DataTypes.DATE(3), allowNull: true },
    voided_at: { type: DataTypes.DATE(3), allowNull: true },
    void_reason: { type: DataTypes.STRING(300), allowNull: true },
    created_by: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('invoices', ['idempotency_key'], { unique: true, name: 'invoices_idempotency' });
  await q.addIndex('invoices', ['series', 'sequence'], { unique: true, name: 'invoices_number' });
  await q.addIndex('invoices', ['account_id', 'period_key'], { name: 'invoices_account_period' });
  await q.addIndex('invoices', ['period_key', 'type'], { name: 'invoices_period' });
  await q.addIndex('invoices', ['status', 'due_date'], { name: 'invoices_status_due' });

  await q.createTable('invoice_lines', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    invoice_id: { type: DataTypes.BIGINT, allowNull: false },
    position: { type: DataTypes.INTEGER, allowNull: false },
    kind: { type: DataTypes.STRING(20), allowNull: false },
    service_id: { type: DataTypes.INTEGER, allowNull: true },
    description: { type: DataTypes.STRING(400), allowNull: false },
    tariff_code: { type: DataTypes.STRING(64), allowNull: true },
    tariff_version: { type: DataTypes.INTEGER, allowNull: true },
    from_time: { type: DataTypes.DATE(3), allowNull: false },
    to_time: { type: DataTypes.DATE(3), allowNull: false },
    quantity: { type: DataTypes.STRING(60), allowNull: false },
    unit: { type: DataTypes.STRING(40), allowNull: false },
    unit_price: { type: DataTypes.STRING(80), allowNull: true },
    precise_amount: { type: DataTypes.STRING(100), allowNull: false },
    amount_minor: { type: DataTypes.BIGINT, allowNull: false },
    tax_label: { type: DataTypes.STRING(80), allowNull: true },
    tax_minor: { type: DataTypes.BIGINT, allowNull: false },
  });
  await q.addIndex('invoice_lines', ['invoice_id', 'position'], { unique: true, name: 'invoice_lines_position' });
  await q.addIndex('invoice_lines', ['service_id'], { name: 'invoice_lines_service' });

  await q.createTable('invoice_usage', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    invoice_id: { type: DataTypes.BIGINT, allowNull: false },
    service_id: { type: DataTypes.INTEGER, allowNull: false },
    from_time: { type: DataTypes.DATE(3), allowNull: false },
    to_time: { type: DataTypes.DATE(3), allowNull: false },
    /** 'window': the usage of [from, to) as counted at issue; 'adjustment': a late correction carried. */
    kind: { type: DataTypes.STRING(12), allowNull: false },
    download: { type: DataTypes.DECIMAL(21, 0), allowNull: false },
    upload: { type: DataTypes.DECIMAL(21, 0), allowNull: false },
  });
  await q.addIndex('invoice_usage', ['invoice_id'], { name: 'invoice_usage_invoice' });
  await q.addIndex('invoice_usage', ['service_id', 'from_time'], { name: 'invoice_usage_service' });

  await q.createTable('billing_runs', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    period_key: { type: DataTypes.STRING(10), allowNull: false },
    dry_run: { type: DataTypes.BOOLEAN, allowNull: false },
    status: { type: DataTypes.STRING(12), allowNull: false },
    started_by: { type: DataTypes.STRING(100), allowNull: false },
    started_at: { type: DataTypes.DATE(3), allowNull: false },
    heartbeat_at: { type: DataTypes.DATE(3), allowNull: false },
    finished_at: { type: DataTypes.DATE(3), allowNull: true },
    accounts_seen: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    invoices_issued: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    credit_notes_issued: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    accounts_already_billed: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    accounts_failed: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    /** JSON: totals per currency, the dry run's preview rows (first ones), the failure if any. */
    summary: { type: dialect === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT, allowNull: true },
  });
  await q.addIndex('billing_runs', ['period_key', 'started_at'], { name: 'billing_runs_period' });

  await q.createTable('billing_run_errors', {
    id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
    run_id: { type: DataTypes.BIGINT, allowNull: false },
    account_id: { type: DataTypes.INTEGER, allowNull: false },
    message: { type: DataTypes.STRING(1000), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('billing_run_errors', ['run_id', 'account_id'], { name: 'billing_run_errors_run' });

  await immutabilityTriggers(dialect, (sql) => q.sequelize.query(sql));

  await q.addColumn('usage_adjustments', 'carried_by', { type: DataTypes.STRING(120), allowNull: true });
  await q.addIndex('usage_adjustments', ['service_id', 'carried_by'], { name: 'usage_adjustments_pending' });
}

/**
 * An issued document never changes, whatever code runs against the database: the database
 * itself refuses to change the content, number or parties of a non-draft invoice, to delete one,
 * or to change or delete its lines and usage. Only the status and its instants move.
 */
async function immutabilityTriggers(dialect: 'sqlite' | 'mysql', run: (sql: string) => Promise<unknown>): Promise<void> {
  const content = ['type', 'series', 'sequence', 'number', 'account_id', 'period_key', 'currency', 'issued_at', 'issue_date', 'due_date', 'net_minor', 'tax_minor', 'total_minor', 'credited_invoice_id', 'document', 'content_sha256'];
  const message = 'an issued invoice is immutable: correct it with a credit note';
  if (dialect === 'sqlite') {
    await run(`CREATE TRIGGER invoices_immutable BEFORE UPDATE OF ${content.join(', ')} ON invoices WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '${message}'); END`);
    await run(`CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '${message}'); END`);
    for (const t of ['invoice_lines', 'invoice_usage']) {
      await run(`CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${message}'); END`);
      await run(`CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} WHEN (SELECT status FROM invoices WHERE id = OLD.invoice_id) <> 'draft' BEGIN SELECT RAISE(ABORT, '${message}'); END`);
    }
    return;
  }
  const changed = content.map((c) => `NOT (OLD.${c} <=> NEW.${c})`).join(' OR ');
  const refuse = `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${message}'`;
  await run(`CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices FOR EACH ROW BEGIN IF OLD.status <> 'draft' AND (${changed}) THEN ${refuse}; END IF; END`);
  await run(`CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices FOR EACH ROW BEGIN IF OLD.status <> 'draft' THEN ${refuse}; END IF; END`);
  for (const t of ['invoice_lines', 'invoice_usage']) {
    await run(`CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} FOR EACH ROW BEGIN ${refuse}; END`);
    await run(`CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} FOR EACH ROW BEGIN IF (SELECT status FROM invoices WHERE id = OLD.invoice_id) <> 'draft' THEN ${refuse}; END IF; END`);
  }
}
