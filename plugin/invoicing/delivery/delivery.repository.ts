import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../../db/database.js';
import { fromSqlTime, fromSqlTimeOrNull, insertIgnore, sqlTime, valuesPlaceholders } from '../../db/sql.js';

/**
 * invoice_documents and invoice_deliveries (migration 0012): the state of each invoice's PDF and
 * of each e-mail of it. Every state change is conditional on the state it was read in, so two
 * writers never overwrite each other silently.
 */
export type DocumentStatus = 'pending' | 'rendered' | 'failed';
export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface DocumentRow {
  invoiceId: string;
  status: DocumentStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  sha256: string | null;
  byteSize: number | null;
  path: string | null;
  renderedAt: Date | null;
}

export interface DeliveryRow {
  id: string;
  invoiceId: string;
  kind: 'email';
  to: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  messageId: string | null;
  sentAt: Date | null;
  createdBy: string;
  createdAt: Date;
}

const DOC_COLUMNS = 'CAST(invoice_id AS CHAR) AS invoice_id, status, attempts, next_attempt_at, last_error, sha256, CAST(byte_size AS CHAR) AS byte_size, path, rendered_at';
const DELIVERY_COLUMNS = 'CAST(id AS CHAR) AS id, CAST(invoice_id AS CHAR) AS invoice_id, kind, to_address, status, attempts, next_attempt_at, last_error, message_id, sent_at, created_by, created_at';

function toDocument(r: Record<string, unknown>): DocumentRow {
  return {
    invoiceId: String(r.invoice_id),
    status: r.status as DocumentStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: fromSqlTime(r.next_attempt_at),
    lastError: r.last_error === null ? null : String(r.last_error),
    sha256: r.sha256 === null ? null : String(r.sha256),
    byteSize: r.byte_size === null ? null : Number(r.byte_size),
    path: r.path === null ? null : String(r.path),
    renderedAt: fromSqlTimeOrNull(r.rendered_at),
  };
}

function toDelivery(r: Record<string, unknown>): DeliveryRow {
  return {
    id: String(r.id),
    invoiceId: String(r.invoice_id),
    kind: 'email',
    to: String(r.to_address),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: fromSqlTime(r.next_attempt_at),
    lastError: r.last_error === null ? null : String(r.last_error),
    messageId: r.message_id === null ? null : String(r.message_id),
    sentAt: fromSqlTimeOrNull(r.sent_at),
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
  };
}

export class DeliveryRepository {
  constructor(private readonly db: Database) {}

  private t(at: Date | number): string {
    return sqlTime(this.db.dialect, at);
  }

  private q<T extends object>(sql: string, replacements: unknown[], t?: Transaction): Promise<T[]> {
    return this.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction: t });
  }

  /** Rows changed. QueryTypes.UPDATE makes both drivers answer the count (an untyped query on SQLite hands back a Statement without it). */
  private async exec(sql: string, replacements: unknown[], t?: Transaction): Promise<number> {
    const [, changed] = (await this.db.sequelize.query(sql, { replacements, transaction: t, type: QueryTypes.UPDATE })) as unknown as [unknown, number];
    return Number(changed ?? 0);
  }

  // --- PDFs -----------------------------------------------------------------------------------

  /** Pending rows for these invoices; an invoice that has one already keeps it (idempotent). */
  async enqueueDocuments(invoiceIds: string[], now: Date, t?: Transaction): Promise<void> {
    const ids = [...new Set(invoiceIds)];
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = part.flatMap((id) => [id, 'pending', 0, this.t(now), this.t(now), this.t(now)]);
      await this.exec(
        `${insertIgnore(this.db.dialect)} INTO invoice_documents (invoice_id, status, attempts, next_attempt_at, created_at, updated_at) VALUES ${valuesPlaceholders(part.length, 6)}`,
        rows,
        t,
      );
    }
  }

  async document(invoiceId: string, t?: Transaction): Promise<DocumentRow | null> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${DOC_COLUMNS} FROM invoice_documents WHERE invoice_id = ?`, [invoiceId], t);
    return rows[0] ? toDocument(rows[0]) : null;
  }

  async documents(invoiceIds: string[], t?: Transaction): Promise<DocumentRow[]> {
    if (invoiceIds.length === 0) return [];
    const rows = await this.q<Record<string, unknown>>(`SELECT ${DOC_COLUMNS} FROM invoice_documents WHERE invoice_id IN (${invoiceIds.map(() => '?').join(', ')})`, invoiceIds, t);
    return rows.map(toDocument);
  }

  async dueDocuments(now: Date, limit: number, t?: Transaction): Promise<DocumentRow[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT ${DOC_COLUMNS} FROM invoice_documents WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, invoice_id LIMIT ?`,
      [this.t(now), limit],
      t,
    );
    return rows.map(toDocument);
  }

  async failedDocuments(limit: number, t?: Transaction): Promise<DocumentRow[]> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${DOC_COLUMNS} FROM invoice_documents WHERE status = 'failed' ORDER BY updated_at DESC LIMIT ?`, [limit], t);
    return rows.map(toDocument);
  }

  /**
   * Counts an attempt before it is made and moves the next one to `retryAt`, so a crash during
   * the render retries later rather than at once in a loop. False when the row moved meanwhile.
   */
  async claimDocument(invoiceId: string, from: DocumentRow, retryAt: Date, now: Date, t?: Transaction): Promise<boolean> {
    return (
      (await this.exec(
        'UPDATE invoice_documents SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE invoice_id = ? AND status = ? AND attempts = ?',
        [this.t(retryAt), this.t(now), invoiceId, from.status, from.attempts],
        t,
      )) === 1
    );
  }

  async markRendered(invoiceId: string, file: { sha256: string; byteSize: number; path: string }, now: Date, t?: Transaction): Promise<void> {
    await this.exec(
      "UPDATE invoice_documents SET status = 'rendered', sha256 = ?, byte_size = ?, path = ?, rendered_at = ?, last_error = NULL, updated_at = ? WHERE invoice_id = ?",
      [file.sha256, file.byteSize, file.path, this.t(now), this.t(now), invoiceId],
      t,
    );
  }

  async markDocumentFailure(invoiceId: string, outcome: { status: 'pending' | 'failed'; nextAttemptAt: Date; error: string }, now: Date, t?: Transaction): Promise<void> {
    await this.exec(
      "UPDATE invoice_documents SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE invoice_id = ? AND status <> 'rendered'",
      [outcome.status, this.t(outcome.nextAttemptAt), outcome.error.slice(0, 1000), this.t(now), invoiceId],
      t,
    );
  }

  /** A failed PDF back to pending with fresh attempts (staff's retry button). */
  async retryDocument(invoiceId: string, now: Date, t?: Transaction): Promise<boolean> {
    return (
      (await this.exec("UPDATE invoice_documents SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE invoice_id = ? AND status = 'failed'", [this.t(now), this.t(now), invoiceId], t)) === 1
    );
  }

  // --- E-mails --------------------------------------------------------------------------------

  async insertDelivery(d: { invoiceId: string; to: string; createdBy: string }, now: Date, t?: Transaction): Promise<string> {
    // QueryTypes.INSERT hands back the new id on both drivers (lastID, insertId).
    const [id] = await this.db.sequelize.query(
      "INSERT INTO invoice_deliveries (invoice_id, kind, to_address, status, attempts, next_attempt_at, created_by, created_at, updated_at) VALUES (?, 'email', ?, 'pending', 0, ?, ?, ?, ?)",
      { replacements: [d.invoiceId, d.to, this.t(now), d.createdBy.slice(0, 100), this.t(now), this.t(now)], type: QueryTypes.INSERT, transaction: t },
    );
    return String(id);
  }

  async delivery(id: string, t?: Transaction): Promise<DeliveryRow | null> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${DELIVERY_COLUMNS} FROM invoice_deliveries WHERE id = ?`, [id], t);
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  /** Every e-mail of the invoice, newest first. */
  async history(invoiceId: string, t?: Transaction): Promise<DeliveryRow[]> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${DELIVERY_COLUMNS} FROM invoice_deliveries WHERE invoice_id = ? ORDER BY id DESC`, [invoiceId], t);
    return rows.map(toDelivery);
  }

  /** Pending e-mails whose time has come and whose PDF is ready (an e-mail never goes without it). */
  async dueDeliveries(now: Date, limit: number, t?: Transaction): Promise<DeliveryRow[]> {
    const cols = 'CAST(x.id AS CHAR) AS id, CAST(x.invoice_id AS CHAR) AS invoice_id, x.kind, x.to_address, x.status, x.attempts, x.next_attempt_at, x.last_error, x.message_id, x.sent_at, x.created_by, x.created_at';
    const rows = await this.q<Record<string, unknown>>(
      `SELECT ${cols} FROM invoice_deliveries x JOIN invoice_documents d ON d.invoice_id = x.invoice_id AND d.status = 'rendered'
        WHERE x.status = 'pending' AND x.next_attempt_at <= ? ORDER BY x.next_attempt_at, x.id LIMIT ?`,
      [this.t(now), limit],
      t,
    );
    return rows.map(toDelivery);
  }

  async failedDeliveries(limit: number, t?: Transaction): Promise<DeliveryRow[]> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${DELIVERY_COLUMNS} FROM invoice_deliveries WHERE status = 'failed' ORDER BY updated_at DESC LIMIT ?`, [limit], t);
    return rows.map(toDelivery);
  }

  async claimDelivery(from: DeliveryRow, retryAt: Date, now: Date, t?: Transaction): Promise<boolean> {
    return (
      (await this.exec(
        "UPDATE invoice_deliveries SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ?",
        [this.t(retryAt), this.t(now), from.id, from.attempts],
        t,
      )) === 1
    );
  }

  async markSent(id: string, messageId: string, now: Date, t?: Transaction): Promise<void> {
    await this.exec("UPDATE invoice_deliveries SET status = 'sent', message_id = ?, sent_at = ?, last_error = NULL, updated_at = ? WHERE id = ?", [messageId.slice(0, 300), this.t(now), this.t(now), id], t);
  }

  async markDeliveryFailure(id: string, outcome: { status: 'pending' | 'failed'; nextAttemptAt: Date; error: string }, now: Date, t?: Transaction): Promise<void> {
    await this.exec(
      "UPDATE invoice_deliveries SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
      [outcome.status, this.t(outcome.nextAttemptAt), outcome.error.slice(0, 1000), this.t(now), id],
      t,
    );
  }
}
