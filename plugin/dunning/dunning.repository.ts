import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Database } from '../db/database.js';
import { fromSqlTime, fromSqlTimeOrNull, insertIgnore, sqlTime } from '../db/sql.js';

export interface DunningAccountRow {
  accountId: number;
  exempt: boolean;
  exemptReason: string | null;
  promiseUntil: string | null;
  promiseNote: string | null;
  suspended: boolean;
  suspendedAt: Date | null;
  /** The services dunning suspended (what its restoration lifts). */
  suspendedServices: number[];
  lastDecision: string | null;
}

export interface ReminderRow {
  id: string;
  accountId: number;
  invoiceId: string;
  offsetDays: number;
  amountMinor: bigint;
  currency: string;
  toAddress: string | null;
  status: 'pending' | 'sent' | 'failed' | 'unsent';
  lastError: string | null;
  createdAt: Date;
}

export interface NoteRow {
  id: string;
  accountId: number;
  note: string;
  createdBy: string;
  createdAt: Date;
}

type Raw = Record<string, unknown>;

function accountRow(r: Raw): DunningAccountRow {
  return {
    accountId: Number(r.account_id),
    exempt: Boolean(Number(r.exempt)),
    exemptReason: (r.exempt_reason as string | null) ?? null,
    promiseUntil: (r.promise_until as string | null) ?? null,
    promiseNote: (r.promise_note as string | null) ?? null,
    suspended: Boolean(Number(r.suspended)),
    suspendedAt: fromSqlTimeOrNull(r.suspended_at),
    suspendedServices: r.suspended_services ? (JSON.parse(String(r.suspended_services)) as number[]) : [],
    lastDecision: (r.last_decision as string | null) ?? null,
  };
}

const ACCOUNT_COLUMNS = 'account_id, exempt, exempt_reason, promise_until, promise_note, suspended, suspended_at, suspended_services, last_decision';

/** dunning_accounts, dunning_reminders, dunning_notes. Every method takes an optional transaction. */
export class DunningRepository {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  private get q() {
    return this.deps.db.sequelize;
  }

  private now(): string {
    return sqlTime(this.deps.db.dialect, this.deps.clock.now());
  }

  /**
   * Locks the account's dunning row for the rest of `t` (creating it first): the one lock a
   * suspension decision and a payment's restoration both take, so they happen one after the
   * other. MariaDB: SELECT … FOR UPDATE; SQLite: the writer lock the transaction already holds.
   */
  async lock(accountId: number, t: Transaction): Promise<DunningAccountRow> {
    await this.q.query(`${insertIgnore(this.deps.db.dialect)} INTO dunning_accounts (account_id, exempt, suspended, updated_at) VALUES (?, 0, 0, ?)`, { replacements: [accountId, this.now()], transaction: t });
    const forUpdate = this.deps.db.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const rows = await this.q.query<Raw>(`SELECT ${ACCOUNT_COLUMNS} FROM dunning_accounts WHERE account_id = ?${forUpdate}`, { replacements: [accountId], type: QueryTypes.SELECT, transaction: t });
    return accountRow(rows[0]!);
  }

  async get(accountIds: number[], t?: Transaction): Promise<Map<number, DunningAccountRow>> {
    const out = new Map<number, DunningAccountRow>();
    if (accountIds.length === 0) return out;
    const rows = await this.q.query<Raw>(`SELECT ${ACCOUNT_COLUMNS} FROM dunning_accounts WHERE account_id IN (?)`, { replacements: [accountIds], type: QueryTypes.SELECT, transaction: t });
    for (const r of rows) out.set(Number(r.account_id), accountRow(r));
    return out;
  }

  /** Accounts dunning currently holds suspended. */
  async suspendedAccounts(t?: Transaction): Promise<number[]> {
    const rows = await this.q.query<Raw>('SELECT account_id FROM dunning_accounts WHERE suspended = 1 ORDER BY account_id', { type: QueryTypes.SELECT, transaction: t });
    return rows.map((r) => Number(r.account_id));
  }

  /** Under the account's lock: suspended with these services, or restored (none). */
  async setSuspended(accountId: number, suspended: boolean, decision: string, t: Transaction, serviceIds: number[] = []): Promise<void> {
    await this.q.query('UPDATE dunning_accounts SET suspended = ?, suspended_at = ?, suspended_services = ?, last_decision = ?, updated_at = ? WHERE account_id = ?', {
      replacements: [suspended ? 1 : 0, suspended ? this.now() : null, suspended ? JSON.stringify(serviceIds) : null, decision.slice(0, 1000), this.now(), accountId],
      transaction: t,
    });
  }

  async setExemption(accountId: number, exempt: boolean, reason: string | null, t: Transaction): Promise<void> {
    await this.q.query('UPDATE dunning_accounts SET exempt = ?, exempt_reason = ?, updated_at = ? WHERE account_id = ?', { replacements: [exempt ? 1 : 0, exempt ? reason : null, this.now(), accountId], transaction: t });
  }

  async setPromise(accountId: number, until: string | null, note: string | null, t: Transaction): Promise<void> {
    await this.q.query('UPDATE dunning_accounts SET promise_until = ?, promise_note = ?, updated_at = ? WHERE account_id = ?', { replacements: [until, until ? note : null, this.now(), accountId], transaction: t });
  }

  /** `${invoiceId}:${offset}` of every reminder recorded for these accounts. */
  async remindedKeys(accountIds: number[], t?: Transaction): Promise<Map<number, Set<string>>> {
    const out = new Map<number, Set<string>>();
    if (accountIds.length === 0) return out;
    const rows = await this.q.query<Raw>('SELECT account_id, CAST(invoice_id AS CHAR) AS invoice_id, offset_days FROM dunning_reminders WHERE account_id IN (?)', { replacements: [accountIds], type: QueryTypes.SELECT, transaction: t });
    for (const r of rows) {
      const id = Number(r.account_id);
      if (!out.has(id)) out.set(id, new Set());
      out.get(id)!.add(`${String(r.invoice_id)}:${Number(r.offset_days)}`);
    }
    return out;
  }

  /**
   * Records a reminder once per invoice and offset (null when it was already recorded). Called
   * under the account's lock, so looking first cannot race; the unique index backs it anyway.
   */
  async addReminder(r: { accountId: number; invoiceId: string; offsetDays: number; amountMinor: bigint; currency: string; toAddress: string | null; status: 'pending' | 'unsent'; reason: string | null }, t: Transaction): Promise<string | null> {
    const find = () => this.q.query<Raw>('SELECT CAST(id AS CHAR) AS id FROM dunning_reminders WHERE invoice_id = ? AND offset_days = ?', { replacements: [r.invoiceId, r.offsetDays], type: QueryTypes.SELECT, transaction: t });
    if ((await find()).length) return null;
    await this.q.query('INSERT INTO dunning_reminders (account_id, invoice_id, offset_days, amount_minor, currency, to_address, status, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', {
      replacements: [r.accountId, r.invoiceId, r.offsetDays, r.amountMinor.toString(), r.currency, r.toAddress, r.status, r.reason, this.now()],
      transaction: t,
    });
    return String((await find())[0]!.id);
  }

  async markReminder(id: string, status: 'sent' | 'failed', error: string | null, t?: Transaction): Promise<void> {
    await this.q.query('UPDATE dunning_reminders SET status = ?, last_error = ?, sent_at = ? WHERE id = ?', { replacements: [status, error?.slice(0, 1000) ?? null, status === 'sent' ? this.now() : null, id], transaction: t });
  }

  async reminders(accountIds: number[], t?: Transaction): Promise<ReminderRow[]> {
    if (accountIds.length === 0) return [];
    const rows = await this.q.query<Raw>(
      'SELECT CAST(id AS CHAR) AS id, account_id, CAST(invoice_id AS CHAR) AS invoice_id, offset_days, CAST(amount_minor AS CHAR) AS amount_minor, currency, to_address, status, last_error, created_at FROM dunning_reminders WHERE account_id IN (?) ORDER BY id',
      { replacements: [accountIds], type: QueryTypes.SELECT, transaction: t },
    );
    return rows.map((r) => ({
      id: String(r.id),
      accountId: Number(r.account_id),
      invoiceId: String(r.invoice_id),
      offsetDays: Number(r.offset_days),
      amountMinor: BigInt(String(r.amount_minor)),
      currency: String(r.currency),
      toAddress: (r.to_address as string | null) ?? null,
      status: r.status as ReminderRow['status'],
      lastError: (r.last_error as string | null) ?? null,
      createdAt: fromSqlTime(r.created_at),
    }));
  }

  async addNote(accountId: number, note: string, by: string, t?: Transaction): Promise<void> {
    await this.q.query('INSERT INTO dunning_notes (account_id, note, created_by, created_at) VALUES (?, ?, ?, ?)', { replacements: [accountId, note, by, this.now()], transaction: t });
  }

  async notes(accountIds: number[], t?: Transaction): Promise<Map<number, NoteRow[]>> {
    const out = new Map<number, NoteRow[]>();
    if (accountIds.length === 0) return out;
    const rows = await this.q.query<Raw>('SELECT CAST(id AS CHAR) AS id, account_id, note, created_by, created_at FROM dunning_notes WHERE account_id IN (?) ORDER BY id DESC', { replacements: [accountIds], type: QueryTypes.SELECT, transaction: t });
    for (const r of rows) {
      const id = Number(r.account_id);
      if (!out.has(id)) out.set(id, []);
      out.get(id)!.push({ id: String(r.id), accountId: id, note: String(r.note), createdBy: String(r.created_by), createdAt: fromSqlTime(r.created_at) });
    }
    return out;
  }
}
