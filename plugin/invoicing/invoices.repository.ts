import { createHash } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import { toBigInt } from '../common/bytes.js';
import type { Clock } from '../common/clock.js';
import { NotFoundError, OperationalError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { bindPlaceholders, fromSqlTime, fromSqlTimeOrNull, sqlTime, valuesPlaceholders } from '../db/sql.js';
import { discountOn } from '../rating/index.js';
import { assertMove, formatNumber, SERIES, type DocumentType, type InvoiceStatus } from './invoice.js';
import { decodeSnapshot, encodeSnapshot, type InvoiceSnapshot } from './snapshot.js';

/**
 * Invoices, their lines and billed usage, and the numbering counters (invoicing's tables).
 * Issued documents are only ever inserted, or moved forward in status: there is no method that
 * changes one's content, and the database refuses it too (migration 0011's triggers). Every read
 * of a document checks it against the SHA-256 taken at issue.
 */
export interface InvoiceRecord {
  id: string;
  type: DocumentType;
  number: string | null;
  sequence: bigint | null;
  accountId: number;
  periodKey: string;
  periodFromMs: number;
  periodToMs: number;
  status: InvoiceStatus;
  currency: string;
  issuedAt: Date | null;
  issueDate: string | null;
  dueDate: string | null;
  netMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
  creditedInvoiceId: string | null;
  billingRunId: string | null;
  sentAt: Date | null;
  paidAt: Date | null;
  voidedAt: Date | null;
  voidReason: string | null;
  createdBy: string;
  createdAt: Date;
}

export interface BilledUsageRow {
  serviceId: number;
  fromMs: number;
  toMs: number;
  kind: 'window' | 'adjustment';
  download: bigint;
  upload: bigint;
}

/** A document to issue: everything but its number, which the insert takes from the counter. */
export interface NewDocument {
  idempotencyKey: string;
  snapshot: Omit<InvoiceSnapshot, 'number'>;
  periodFromMs: number;
  periodToMs: number;
  issueDate: string;
  dueDate: string;
  creditedInvoiceId: string | null;
  billingRunId: string | null;
  createdBy: string;
  usage: BilledUsageRow[];
}

export interface InvoiceFilter {
  accountId?: number;
  type?: DocumentType;
  status?: InvoiceStatus;
  periodKey?: string;
  /** Issue dates, inclusive (local dates). */
  issuedFrom?: string;
  issuedTo?: string;
  number?: string;
}

const COLUMNS = `CAST(id AS CHAR) AS id, type, number, CAST(sequence AS CHAR) AS sequence, account_id, period_key, period_from, period_to, status, currency,
  issued_at, issue_date, due_date, CAST(net_minor AS CHAR) AS net_minor, CAST(tax_minor AS CHAR) AS tax_minor, CAST(total_minor AS CHAR) AS total_minor,
  CAST(credited_invoice_id AS CHAR) AS credited_invoice_id, CAST(billing_run_id AS CHAR) AS billing_run_id, sent_at, paid_at, voided_at, void_reason, created_by, created_at`;

const dateOnly = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

function toRecord(r: Record<string, unknown>): InvoiceRecord {
  return {
    id: String(r.id),
    type: r.type as DocumentType,
    number: r.number === null ? null : String(r.number),
    sequence: r.sequence === null ? null : BigInt(String(r.sequence)),
    accountId: Number(r.account_id),
    periodKey: String(r.period_key),
    periodFromMs: fromSqlTime(r.period_from).getTime(),
    periodToMs: fromSqlTime(r.period_to).getTime(),
    status: r.status as InvoiceStatus,
    currency: String(r.currency),
    issuedAt: fromSqlTimeOrNull(r.issued_at),
    issueDate: dateOnly(r.issue_date),
    dueDate: dateOnly(r.due_date),
    netMinor: BigInt(String(r.net_minor)),
    taxMinor: BigInt(String(r.tax_minor)),
    totalMinor: BigInt(String(r.total_minor)),
    creditedInvoiceId: r.credited_invoice_id === null ? null : String(r.credited_invoice_id),
    billingRunId: r.billing_run_id === null ? null : String(r.billing_run_id),
    sentAt: fromSqlTimeOrNull(r.sent_at),
    paidAt: fromSqlTimeOrNull(r.paid_at),
    voidedAt: fromSqlTimeOrNull(r.voided_at),
    voidReason: r.void_reason === null ? null : String(r.void_reason),
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
  };
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The stored document no longer matches the hash taken at issue: someone changed it outside Octet. */
export class TamperedInvoiceError extends OperationalError {
  constructor(readonly invoiceId: string) {
    super(`invoice ${invoiceId}: its stored document does not match the hash taken when it was issued`);
  }
}

const CHUNK = 400;

export class InvoicesRepository {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  private get dialect() {
    return this.deps.db.dialect;
  }

  private t(ms: number | Date): string {
    return sqlTime(this.dialect, ms);
  }

  private q<T extends object>(sql: string, replacements: unknown[], t?: Transaction): Promise<T[]> {
    return this.deps.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction: t });
  }

  private exec(sql: string, replacements: unknown[], t?: Transaction): Promise<unknown> {
    return this.deps.db.sequelize.query(sql, { replacements, transaction: t });
  }

  /**
   * `INSERT INTO <into> VALUES` `rows` rows of `columns` values (flat). On MySQL the values are
   * bound parameters of a prepared statement (one per row count, reused by the connection), not
   * escaped into the SQL text and parsed back: escaping was the largest cost of issuing a chunk
   * (CPU profile of test/bench/billing.bench.ts). SQLite takes them as replacements.
   */
  private insertRows(into: string, columns: number, flat: unknown[], t: Transaction): Promise<unknown> {
    const rows = flat.length / columns;
    return this.dialect === 'mysql'
      ? this.deps.db.sequelize.query(`INSERT INTO ${into} VALUES ${bindPlaceholders(rows, columns)}`, { bind: flat, type: QueryTypes.INSERT, transaction: t })
      : this.exec(`INSERT INTO ${into} VALUES ${valuesPlaceholders(rows, columns)}`, flat, t);
  }

  /** Which of these idempotency keys already have a document. */
  async existingKeys(keys: string[], t?: Transaction): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const part = keys.slice(i, i + CHUNK);
      const rows = await this.q<{ k: string }>(`SELECT idempotency_key AS k FROM invoices WHERE idempotency_key IN (${part.map(() => '?').join(', ')})`, part, t);
      for (const r of rows) out.add(r.k);
    }
    return out;
  }

  /**
   * The billing date (period key) of the first document that carried each of these services, for
   * those a run has carried (billing_first_dates, migration 0030). With `lock` (in the issuing
   * transaction, on MariaDB) the read locks the keys and sees the latest committed rows, not the
   * transaction's snapshot: a run of another date that records one of them meanwhile is waited
   * for and then seen, or the two meet in a deadlock that the issuing transaction's retry resolves.
   */
  async firstBilledDates(serviceIds: number[], t?: Transaction, lock = false): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const forUpdate = lock && t && this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    for (let i = 0; i < serviceIds.length; i += CHUNK) {
      const part = serviceIds.slice(i, i + CHUNK);
      const rows = await this.q<{ s: number | string; k: string }>(`SELECT service_id AS s, period_key AS k FROM billing_first_dates WHERE service_id IN (${part.map(() => '?').join(', ')})${forUpdate}`, part, t);
      for (const r of rows) out.set(Number(r.s), r.k);
    }
    return out;
  }

  /**
   * The latest billing date (period key) whose run documents (invoice or credit note, any status
   * but draft) carry each of these services: what a change to the service must not reach back
   * before, for the billing of that date is final.
   */
  async lastBilledDates(serviceIds: number[], t?: Transaction): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (let i = 0; i < serviceIds.length; i += CHUNK) {
      const part = serviceIds.slice(i, i + CHUNK);
      const rows = await this.q<{ s: number | string; k: string }>(
        `SELECT l.service_id AS s, MAX(i.period_key) AS k FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
          WHERE l.service_id IN (${part.map(() => '?').join(', ')}) AND i.billing_run_id IS NOT NULL AND i.status <> 'draft' GROUP BY l.service_id`,
        part,
        t,
      );
      for (const r of rows) out.set(Number(r.s), r.k);
    }
    return out;
  }

  /** The latest billing date (period key) of an account's run documents (any status but draft), or null. */
  async lastBilledDateOfAccount(accountId: number, t?: Transaction): Promise<string | null> {
    const [row] = await this.q<{ k: string | null }>("SELECT MAX(period_key) AS k FROM invoices WHERE account_id = ? AND billing_run_id IS NOT NULL AND status <> 'draft'", [accountId], t);
    return row?.k ?? null;
  }

  /**
   * Records, in the issuing transaction, the billing date that first carried these services. A
   * service already recorded (another run's date carried it meanwhile, past this run's read) is a
   * duplicate key, so the transaction fails and issues nothing twice.
   */
  async recordFirstBilled(serviceIds: number[], periodKey: string, t: Transaction): Promise<void> {
    if (serviceIds.length === 0) return;
    const now = sqlTime(this.dialect, this.deps.clock.now());
    await this.bulk('billing_first_dates (service_id, period_key, created_at)', 3, serviceIds.flatMap((id) => [id, periodKey, now]), t);
  }

  /**
   * Takes `count` consecutive numbers of a series, under the counter row's lock (held until `t`
   * ends, so concurrent issuers queue here and a rollback returns the numbers unused).
   */
  async takeNumbers(series: string, count: number, t: Transaction): Promise<bigint> {
    const lock = this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const [row] = await this.q<{ n: string }>(`SELECT CAST(next_number AS CHAR) AS n FROM document_counters WHERE series = ?${lock}`, [series], t);
    if (!row) throw new OperationalError(`numbering series ${series} has no counter row (migration 0011 creates it)`);
    const first = BigInt(row.n);
    await this.exec('UPDATE document_counters SET next_number = ? WHERE series = ? AND next_number = ?', [(first + BigInt(count)).toString(), series, row.n], t);
    return first;
  }

  /**
   * Issues the documents in `t`: numbers from the counter, rows for the invoice, its lines and
   * its billed usage. A document whose idempotency key exists makes the insert fail with a
   * duplicate key (the caller checks existingKeys first, under the same lock order).
   */
  async insertIssued(docs: NewDocument[], t: Transaction): Promise<InvoiceRecord[]> {
    if (docs.length === 0) return [];
    const now = this.deps.clock.now();
    const byType = new Map<DocumentType, NewDocument[]>();
    for (const d of docs) byType.set(d.snapshot.type, [...(byType.get(d.snapshot.type) ?? []), d]);
    const keys: string[] = [];
    const made = new Map<string, Omit<InvoiceRecord, 'id'>>();
    // Fixed order (invoice series, then credit notes): two issuers never wait on each other's counters in opposite orders.
    for (const type of ['invoice', 'credit_note'] as const) {
      const list = byType.get(type);
      if (!list) continue;
      const first = await this.takeNumbers(SERIES[type].series, list.length, t);
      const rows: unknown[] = [];
      list.forEach((d, i) => {
        const sequence = first + BigInt(i);
        const number = formatNumber(type, sequence);
        const text = encodeSnapshot({ ...d.snapshot, number } as InvoiceSnapshot);
        const totals = d.snapshot.document.totals;
        rows.push(
          type, SERIES[type].series, sequence.toString(), number, d.idempotencyKey, d.snapshot.accountId, d.snapshot.periodKey,
          this.t(d.periodFromMs), this.t(d.periodToMs), 'issued', d.snapshot.currency, this.t(d.snapshot.document.issuedAtMs), d.issueDate, d.dueDate,
          totals.netMinor.toString(), totals.taxMinor.toString(), totals.totalMinor.toString(), d.creditedInvoiceId, d.billingRunId,
          text, sha256(text), d.createdBy, this.t(now), this.t(now),
        );
        keys.push(d.idempotencyKey);
        made.set(d.idempotencyKey, {
          type, number, sequence, accountId: d.snapshot.accountId, periodKey: d.snapshot.periodKey, periodFromMs: d.periodFromMs, periodToMs: d.periodToMs, status: 'issued',
          currency: d.snapshot.currency, issuedAt: new Date(d.snapshot.document.issuedAtMs), issueDate: d.issueDate, dueDate: d.dueDate,
          netMinor: totals.netMinor, taxMinor: totals.taxMinor, totalMinor: totals.totalMinor, creditedInvoiceId: d.creditedInvoiceId, billingRunId: d.billingRunId,
          sentAt: null, paidAt: null, voidedAt: null, voidReason: null, createdBy: d.createdBy, createdAt: new Date(now.getTime()),
        });
      });
      for (let i = 0; i < list.length; i += 200) {
        const n = Math.min(200, list.length - i);
        await this.insertRows(
          `invoices (type, series, sequence, number, idempotency_key, account_id, period_key, period_from, period_to, status, currency, issued_at, issue_date, due_date,
             net_minor, tax_minor, total_minor, credited_invoice_id, billing_run_id, document, content_sha256, created_by, created_at, updated_at)`,
          24,
          rows.slice(i * 24, (i + n) * 24),
          t,
        );
      }
    }
    const ids = await this.idsByKey(keys, t);
    const lineRows: unknown[] = [];
    const usageRows: unknown[] = [];
    for (const d of docs) {
      const id = ids.get(d.idempotencyKey)!;
      const doc = d.snapshot.document;
      doc.lines.forEach((l, i) => {
        const tax = doc.lineTaxes[i];
        lineRows.push(
          id, i + 1, l.kind, d.snapshot.lineServices[i] ?? null, l.description.slice(0, 400), l.tariff?.code ?? null, l.tariff?.version ?? null,
          this.t(l.fromMs), this.t(l.toMs), l.quantity.toDecimalPlaces(20).toFixed(), l.unit.slice(0, 40), l.unitPrice === null ? null : l.unitPrice.toDecimalPlaces(20).toFixed(), l.preciseAmount.toDecimalPlaces(20).toFixed(),
          l.amountMinor.toString(), doc.taxes.length === 1 ? taxLabel(doc.taxes[0]!) : null, (tax?.taxMinor ?? 0n).toString(),
        );
      });
      for (const u of d.usage) usageRows.push(id, u.serviceId, this.t(u.fromMs), this.t(u.toMs), u.kind, u.download.toString(), u.upload.toString());
    }
    await this.bulk('invoice_lines (invoice_id, position, kind, service_id, description, tariff_code, tariff_version, from_time, to_time, quantity, unit, unit_price, precise_amount, amount_minor, tax_label, tax_minor)', 16, lineRows, t);
    await this.bulk('invoice_usage (invoice_id, service_id, from_time, to_time, kind, download, upload)', 7, usageRows, t);
    // The records as inserted (what byIds would read back), in id order: no second read of the rows just written.
    return keys.map((k) => ({ id: ids.get(k)!, ...made.get(k)! })).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  private async bulk(table: string, columns: number, flat: unknown[], t: Transaction): Promise<void> {
    const per = Math.floor(4000 / columns);
    for (let i = 0; i < flat.length; i += per * columns) {
      const part = flat.slice(i, i + per * columns);
      await this.insertRows(table, columns, part, t);
    }
  }

  private async idsByKey(keys: string[], t?: Transaction): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const part = keys.slice(i, i + CHUNK);
      const rows = await this.q<{ id: string; k: string }>(`SELECT CAST(id AS CHAR) AS id, idempotency_key AS k FROM invoices WHERE idempotency_key IN (${part.map(() => '?').join(', ')})`, part, t);
      for (const r of rows) out.set(r.k, r.id);
    }
    return out;
  }

  async byIds(ids: string[], t?: Transaction): Promise<InvoiceRecord[]> {
    const out: InvoiceRecord[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM invoices WHERE id IN (${part.map(() => '?').join(', ')}) ORDER BY id`, part, t);
      out.push(...rows.map(toRecord));
    }
    return out;
  }

  async get(id: string, t?: Transaction): Promise<InvoiceRecord> {
    const [r] = await this.byIds([id], t);
    if (!r) throw new NotFoundError(`no invoice with id ${id}`);
    return r;
  }

  async byNumber(number: string, t?: Transaction): Promise<InvoiceRecord | null> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM invoices WHERE number = ?`, [number], t);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async byKey(key: string, t?: Transaction): Promise<InvoiceRecord | null> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM invoices WHERE idempotency_key = ?`, [key], t);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** The issued document, checked against its hash. */
  async snapshot(id: string, t?: Transaction): Promise<InvoiceSnapshot> {
    const [r] = await this.q<{ document: string; h: string }>('SELECT document, content_sha256 AS h FROM invoices WHERE id = ?', [id], t);
    if (!r) throw new NotFoundError(`no invoice with id ${id}`);
    if (sha256(r.document) !== r.h) throw new TamperedInvoiceError(id);
    return decodeSnapshot(r.document);
  }

  async list(filter: InvoiceFilter, page: { limit: number; offset: number } = { limit: 50, offset: 0 }, t?: Transaction): Promise<{ rows: InvoiceRecord[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.accountId !== undefined) (where.push('account_id = ?'), args.push(filter.accountId));
    if (filter.type) (where.push('type = ?'), args.push(filter.type));
    if (filter.status) (where.push('status = ?'), args.push(filter.status));
    if (filter.periodKey) (where.push('period_key = ?'), args.push(filter.periodKey));
    if (filter.issuedFrom) (where.push('issue_date >= ?'), args.push(filter.issuedFrom));
    if (filter.issuedTo) (where.push('issue_date <= ?'), args.push(filter.issuedTo));
    if (filter.number) (where.push('number = ?'), args.push(filter.number));
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [c] = await this.q<{ n: number | string }>(`SELECT COUNT(*) AS n FROM invoices ${w}`, args, t);
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM invoices ${w} ORDER BY id DESC LIMIT ? OFFSET ?`, [...args, page.limit, page.offset], t);
    return { rows: rows.map(toRecord), total: Number(c?.n ?? 0) };
  }

  async usage(invoiceId: string, t?: Transaction): Promise<BilledUsageRow[]> {
    const rows = await this.q<Record<string, unknown>>(
      'SELECT service_id, from_time, to_time, kind, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u FROM invoice_usage WHERE invoice_id = ? ORDER BY id',
      [invoiceId],
      t,
    );
    return rows.map((r) => ({ serviceId: Number(r.service_id), fromMs: fromSqlTime(r.from_time).getTime(), toMs: fromSqlTime(r.to_time).getTime(), kind: r.kind as BilledUsageRow['kind'], download: toBigInt(String(r.d)), upload: toBigInt(String(r.u)) }));
  }

  /** Billed usage of every issued invoice of a period (reconciliation), with the invoice's number. */
  async usageOfPeriod(periodKey: string, t?: Transaction): Promise<Array<BilledUsageRow & { invoiceId: string; number: string; issuedAt: Date }>> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT CAST(i.id AS CHAR) AS id, i.number, i.issued_at, u.service_id, u.from_time, u.to_time, u.kind, CAST(u.download AS CHAR) AS d, CAST(u.upload AS CHAR) AS up
         FROM invoice_usage u JOIN invoices i ON i.id = u.invoice_id WHERE i.period_key = ? AND i.type = 'invoice' AND i.status <> 'draft' ORDER BY i.id, u.id`,
      [periodKey],
      t,
    );
    return rows.map((r) => ({ invoiceId: String(r.id), number: String(r.number), issuedAt: fromSqlTime(r.issued_at), serviceId: Number(r.service_id), fromMs: fromSqlTime(r.from_time).getTime(), toMs: fromSqlTime(r.to_time).getTime(), kind: r.kind as BilledUsageRow['kind'], download: toBigInt(String(r.d)), upload: toBigInt(String(r.up)) }));
  }

  /**
   * Moves a document forward (issued -> sent, -> paid, -> void), only from the status it was
   * read in: a concurrent move makes this one fail rather than overwrite it.
   */
  async move(id: string, to: InvoiceStatus, extra: { at?: Date; voidReason?: string } = {}, t?: Transaction): Promise<InvoiceRecord> {
    const cur = await this.get(id, t);
    assertMove(cur.number, cur.status, to);
    const at = this.t(extra.at ?? this.deps.clock.now());
    const set = ['status = ?', 'updated_at = ?'];
    const args: unknown[] = [to, this.t(this.deps.clock.now())];
    if (to === 'sent') (set.push('sent_at = ?'), args.push(at));
    if (to === 'paid') (set.push('paid_at = ?'), args.push(at));
    if (to === 'void') (set.push('voided_at = ?', 'void_reason = ?'), args.push(at, (extra.voidReason ?? '').slice(0, 300)));
    await this.exec(`UPDATE invoices SET ${set.join(', ')} WHERE id = ? AND status = ?`, [...args, id, cur.status], t);
    const after = await this.get(id, t);
    if (after.status !== to) throw new OperationalError(`invoice ${cur.number}: its status changed while it was being moved to ${to}; try again`, { retryable: true });
    return after;
  }

  /**
   * What has been charged for a service's usage window so far: the billing date whose invoice
   * rated it, the usage and adjustment amounts on invoices minus those on credit notes
   * (`chargedMinor`), and the discounts issued against those lines, counted positive, minus those
   * credited (`discountMinor`). A discount line says which line it reduces only in the issued
   * document (its `reduces` offset), so the documents of the window that carry a discount line
   * are read whole; a discount credited apart from its line stands alone and is not counted.
   */
  async billedWindow(serviceId: number, fromMs: number, toMs: number, t?: Transaction): Promise<{ periodKey: string; chargedMinor: bigint; discountMinor: bigint } | null> {
    const [w] = await this.q<{ k: string }>(
      `SELECT i.period_key AS k FROM invoice_usage u JOIN invoices i ON i.id = u.invoice_id
        WHERE u.service_id = ? AND u.from_time = ? AND u.to_time = ? AND u.kind = 'window' AND i.type = 'invoice' ORDER BY i.id LIMIT 1`,
      [serviceId, this.t(fromMs), this.t(toMs)],
      t,
    );
    if (!w) return null;
    const rows = await this.q<{ id: string | number; type: string; kind: string; s: string | null }>(
      `SELECT l.invoice_id AS id, i.type, l.kind, CAST(SUM(l.amount_minor) AS CHAR) AS s FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
        WHERE l.service_id = ? AND l.from_time = ? AND l.to_time = ? AND l.kind IN ('usage', 'adjustment', 'discount') GROUP BY l.invoice_id, i.type, l.kind`,
      [serviceId, this.t(fromMs), this.t(toMs)],
      t,
    );
    let charged = 0n;
    const withBase = new Set<string>();
    const withDiscount = new Set<string>();
    for (const r of rows) {
      const id = String(r.id);
      if (r.kind === 'discount') {
        withDiscount.add(id);
      } else {
        withBase.add(id);
        charged += (r.type === 'credit_note' ? -1n : 1n) * BigInt(r.s ?? '0');
      }
    }
    let discount = 0n;
    for (const id of [...withDiscount].filter((x) => withBase.has(x)).sort()) {
      const snap = await this.snapshot(id, t);
      const sign = snap.type === 'credit_note' ? -1n : 1n;
      snap.document.lines.forEach((base, k) => {
        if ((base.kind === 'usage' || base.kind === 'adjustment') && snap.lineServices[k] === serviceId && base.fromMs === fromMs && base.toMs === toMs) discount += sign * discountOn(snap.document.lines, k);
      });
    }
    return { periodKey: w.k, chargedMinor: charged, discountMinor: discount };
  }

  /** Late adjustments carried for these windows, on any document, summed (download + upload) per `service:from:to`. */
  async adjustmentsFor(windows: Array<{ serviceId: number; fromMs: number; toMs: number }>, t?: Transaction): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    const services = [...new Set(windows.map((w) => w.serviceId))];
    for (let i = 0; i < services.length; i += CHUNK) {
      const part = services.slice(i, i + CHUNK);
      const rows = await this.q<{ s: number | string; f: unknown; to: unknown; b: string }>(
        `SELECT service_id AS s, from_time AS f, to_time AS \`to\`, CAST(SUM(download + upload) AS CHAR) AS b FROM invoice_usage
          WHERE kind = 'adjustment' AND service_id IN (${part.map(() => '?').join(', ')}) GROUP BY service_id, from_time, to_time`,
        part,
        t,
      );
      for (const r of rows) out.set(`${Number(r.s)}:${fromSqlTime(r.f).getTime()}:${fromSqlTime(r.to).getTime()}`, BigInt(r.b));
    }
    return out;
  }
}

function taxLabel(t: { name: string; percent: string | null; exemptReason: string | null }): string {
  return (t.exemptReason !== null ? `${t.name} (exempt)` : `${t.name} ${t.percent ?? ''}%`).slice(0, 80);
}
