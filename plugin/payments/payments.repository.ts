import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { NotFoundError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { fromSqlTime, insertIgnore, sqlTime, valuesPlaceholders } from '../db/sql.js';

/** Payments, their allocations and refunds, and the per-account lock row (payments' tables). */
export const PAYMENT_METHODS = ['cash', 'bank_transfer', 'card', 'paypal', 'other'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type PaymentStatus = 'recorded' | 'part_refunded' | 'refunded';

export interface PaymentRecord {
  id: string;
  accountId: number;
  amountMinor: bigint;
  currency: string;
  method: PaymentMethod;
  reference: string | null;
  receivedAt: Date;
  source: string;
  externalId: string | null;
  status: PaymentStatus;
  createdBy: string;
  createdAt: Date;
  /** Of this payment: allocated to invoices, and refunded (what is left is credit). */
  allocatedMinor: bigint;
  refundedMinor: bigint;
}

export interface RefundRecord {
  id: string;
  paymentId: string;
  accountId: number;
  amountMinor: bigint;
  kind: 'payment' | 'credit';
  reason: string;
  refundedAt: Date;
  createdBy: string;
}

export type NewPayment = Omit<PaymentRecord, 'id' | 'status' | 'createdAt' | 'allocatedMinor' | 'refundedMinor'>;

const COLUMNS = `CAST(p.id AS CHAR) AS id, p.account_id, CAST(p.amount_minor AS CHAR) AS amount_minor, p.currency, p.method, p.reference, p.received_at, p.source, p.external_id, p.status, p.created_by, p.created_at,
  CAST(COALESCE((SELECT SUM(a.amount_minor) FROM payment_allocations a WHERE a.payment_id = p.id), 0) AS CHAR) AS allocated,
  CAST(COALESCE((SELECT SUM(r.amount_minor) FROM payment_refunds r WHERE r.payment_id = p.id), 0) AS CHAR) AS refunded`;

function toPayment(r: Record<string, unknown>): PaymentRecord {
  return {
    id: String(r.id),
    accountId: Number(r.account_id),
    amountMinor: BigInt(String(r.amount_minor)),
    currency: String(r.currency),
    method: r.method as PaymentMethod,
    reference: r.reference === null ? null : String(r.reference),
    receivedAt: fromSqlTime(r.received_at),
    source: String(r.source),
    externalId: r.external_id === null ? null : String(r.external_id),
    status: r.status as PaymentStatus,
    createdBy: String(r.created_by),
    createdAt: fromSqlTime(r.created_at),
    allocatedMinor: BigInt(String(r.allocated)),
    refundedMinor: BigInt(String(r.refunded)),
  };
}

const CHUNK = 400;

export class PaymentsRepository {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  private get dialect() {
    return this.deps.db.dialect;
  }

  private q<T extends object>(sql: string, replacements: unknown[], t?: Transaction): Promise<T[]> {
    return this.deps.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction: t });
  }

  private exec(sql: string, replacements: unknown[], t?: Transaction): Promise<unknown> {
    return this.deps.db.sequelize.query(sql, { replacements, transaction: t });
  }

  private now(): string {
    return sqlTime(this.dialect, this.deps.clock.now());
  }

  /**
   * Creates the account's lock row if it has none, outside any transaction (an INSERT IGNORE of
   * an existing row inside one takes a shared lock, and two such transactions upgrading to
   * FOR UPDATE would deadlock). SQLite needs no row: it has one writer at a time.
   */
  async ensureLockRow(accountId: number): Promise<void> {
    if (this.dialect === 'sqlite') return;
    await this.exec(`${insertIgnore(this.dialect)} INTO payment_account_locks (account_id) VALUES (?)`, [accountId]);
  }

  /**
   * Locks the account's payments until `t` ends. It must be the transaction's first read: on
   * MariaDB (REPEATABLE READ) the snapshot the later reads see is taken after the lock is held,
   * so they see every allocation committed by the payment that held it before. SQLite runs one
   * writer at a time (IMMEDIATE transactions) and needs no row lock.
   */
  async lockAccount(accountId: number, t: Transaction): Promise<void> {
    const lock = this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    await this.q(`SELECT account_id FROM payment_account_locks WHERE account_id = ?${lock}`, [accountId], t);
  }

  /** Accounts holding credit (money neither allocated nor refunded), after `afterId`, at most `limit`. */
  async accountsWithCredit(afterId: number, limit: number, t?: Transaction): Promise<number[]> {
    const rows = await this.q<{ a: number | string }>(
      `SELECT p.account_id AS a FROM payments p WHERE p.account_id > ?
          AND p.amount_minor > COALESCE((SELECT SUM(x.amount_minor) FROM payment_allocations x WHERE x.payment_id = p.id), 0)
                             + COALESCE((SELECT SUM(r.amount_minor) FROM payment_refunds r WHERE r.payment_id = p.id), 0)
        GROUP BY p.account_id ORDER BY p.account_id LIMIT ?`,
      [afterId, limit],
      t,
    );
    return rows.map((r) => Number(r.a));
  }

  async byExternal(source: string, externalId: string, t?: Transaction): Promise<PaymentRecord | null> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM payments p WHERE p.source = ? AND p.external_id = ?`, [source, externalId], t);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  async get(id: string, t?: Transaction): Promise<PaymentRecord> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM payments p WHERE p.id = ?`, [id], t);
    if (!rows[0]) throw new NotFoundError(`no payment with id ${id}`);
    return toPayment(rows[0]);
  }

  async insert(p: NewPayment, t: Transaction): Promise<string> {
    await this.exec(
      'INSERT INTO payments (account_id, amount_minor, currency, method, reference, received_at, source, external_id, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [p.accountId, p.amountMinor.toString(), p.currency, p.method, p.reference, sqlTime(this.dialect, p.receivedAt), p.source, p.externalId, 'recorded', p.createdBy, this.now()],
      t,
    );
    const fn = this.dialect === 'mysql' ? 'LAST_INSERT_ID()' : 'last_insert_rowid()';
    const [row] = await this.q<{ id: string }>(`SELECT CAST(${fn} AS CHAR) AS id`, [], t);
    return String(row!.id);
  }

  /** An account's payments, newest first (paged), or every payment when no account is named. */
  async list(filter: { accountId?: number }, page: { limit: number; offset: number } = { limit: 50, offset: 0 }, t?: Transaction): Promise<{ rows: PaymentRecord[]; total: number }> {
    const w = filter.accountId === undefined ? '' : 'WHERE p.account_id = ?';
    const args = filter.accountId === undefined ? [] : [filter.accountId];
    const [c] = await this.q<{ n: number | string }>(`SELECT COUNT(*) AS n FROM payments p ${w}`, args, t);
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM payments p ${w} ORDER BY p.received_at DESC, p.id DESC LIMIT ? OFFSET ?`, [...args, page.limit, page.offset], t);
    return { rows: rows.map(toPayment), total: Number(c?.n ?? 0) };
  }

  /** Every payment of the account, oldest first (statements, credit). */
  async ofAccount(accountId: number, t?: Transaction): Promise<PaymentRecord[]> {
    const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM payments p WHERE p.account_id = ? ORDER BY p.received_at, p.id`, [accountId], t);
    return rows.map(toPayment);
  }

  /** Every payment of these accounts (for many accounts in a few queries: dunning's evaluation). */
  async ofAccounts(accountIds: number[], t?: Transaction): Promise<PaymentRecord[]> {
    const out: PaymentRecord[] = [];
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const part = accountIds.slice(i, i + CHUNK);
      const rows = await this.q<Record<string, unknown>>(`SELECT ${COLUMNS} FROM payments p WHERE p.account_id IN (${part.map(() => '?').join(', ')}) ORDER BY p.received_at, p.id`, part, t);
      out.push(...rows.map(toPayment));
    }
    return out;
  }

  async insertAllocations(accountId: number, rows: Array<{ paymentId: string; invoiceId: string; amountMinor: bigint }>, t: Transaction): Promise<void> {
    if (rows.length === 0) return;
    const now = this.now();
    const flat = rows.flatMap((r) => [r.paymentId, accountId, r.invoiceId, r.amountMinor.toString(), now]);
    await this.exec(`INSERT INTO payment_allocations (payment_id, account_id, invoice_id, amount_minor, created_at) VALUES ${valuesPlaceholders(rows.length, 5)}`, flat, t);
  }

  /** What payments allocated to each of these invoices. */
  async allocatedTo(invoiceIds: string[], t?: Transaction): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    for (let i = 0; i < invoiceIds.length; i += CHUNK) {
      const part = invoiceIds.slice(i, i + CHUNK);
      const rows = await this.q<{ id: string; s: string }>(
        `SELECT CAST(invoice_id AS CHAR) AS id, CAST(SUM(amount_minor) AS CHAR) AS s FROM payment_allocations WHERE invoice_id IN (${part.map(() => '?').join(', ')}) GROUP BY invoice_id`,
        part,
        t,
      );
      for (const r of rows) out.set(String(r.id), BigInt(r.s));
    }
    return out;
  }

  async allocationsOf(paymentId: string, t?: Transaction): Promise<Array<{ invoiceId: string; amountMinor: bigint }>> {
    const rows = await this.q<{ id: string; a: string }>('SELECT CAST(invoice_id AS CHAR) AS id, CAST(amount_minor AS CHAR) AS a FROM payment_allocations WHERE payment_id = ? ORDER BY id', [paymentId], t);
    return rows.map((r) => ({ invoiceId: String(r.id), amountMinor: BigInt(r.a) }));
  }

  async insertRefund(r: Omit<RefundRecord, 'id'>, t: Transaction): Promise<void> {
    await this.exec(
      'INSERT INTO payment_refunds (payment_id, account_id, amount_minor, kind, reason, refunded_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [r.paymentId, r.accountId, r.amountMinor.toString(), r.kind, r.reason, sqlTime(this.dialect, r.refundedAt), r.createdBy, this.now()],
      t,
    );
  }

  async refundsOf(accountId: number, t?: Transaction): Promise<RefundRecord[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT CAST(id AS CHAR) AS id, CAST(payment_id AS CHAR) AS payment_id, account_id, CAST(amount_minor AS CHAR) AS amount_minor, kind, reason, refunded_at, created_by
         FROM payment_refunds WHERE account_id = ? ORDER BY refunded_at, id`,
      [accountId],
      t,
    );
    return rows.map((r) => ({ id: String(r.id), paymentId: String(r.payment_id), accountId: Number(r.account_id), amountMinor: BigInt(String(r.amount_minor)), kind: r.kind as RefundRecord['kind'], reason: String(r.reason), refundedAt: fromSqlTime(r.refunded_at), createdBy: String(r.created_by) }));
  }

  async setStatus(paymentId: string, status: PaymentStatus, t: Transaction): Promise<void> {
    await this.exec('UPDATE payments SET status = ? WHERE id = ?', [status, paymentId], t);
  }
}
