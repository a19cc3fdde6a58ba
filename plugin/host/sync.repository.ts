import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import { fromSqlTimeOrNull, insertIgnore, sqlTime, valuesPlaceholders } from '../db/sql.js';

export const SYNC_STREAMS = ['customers', 'services', 'charges', 'payments', 'blocking'] as const;
export type SyncStream = (typeof SYNC_STREAMS)[number];
export type LinkKind = 'customer' | 'service';

export interface HostLink {
  externalId: string;
  octetId: number;
  parentExternalId: string | null;
  fingerprint: string;
  blocked: boolean | null;
}

export interface StreamState {
  stream: SyncStream;
  cursor: string | null;
  lastRunAt: Date | null;
  lastOkAt: Date | null;
  counts: Record<string, number>;
  lastError: string | null;
  failures: number;
  nextAttemptAt: Date | null;
}

/** An Octet document the charges stream passed while its account had no link (migration 0027). */
export interface HeldDocument {
  id: string;
  type: 'invoice' | 'credit_note';
  accountId: number;
  number: string | null;
  issueDate: string | null;
  dueDate: string | null;
  currency: string;
}

export interface SyncErrorRow {
  stream: string;
  externalId: string | null;
  message: string;
  at: Date;
}

type Raw = Record<string, unknown>;

/** host_links, host_sync_state, host_posted_charges, host_sync_errors (migration 0019), host_held_documents (0027). */
export class HostSyncRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    readonly host: string,
  ) {}

  private get q() {
    return this.db.sequelize;
  }
  private now(): string {
    return sqlTime(this.db.dialect, this.clock.now());
  }

  async link(kind: LinkKind, externalId: string, t?: Transaction): Promise<HostLink | null> {
    const rows = await this.q.query<Raw>('SELECT external_id, octet_id, parent_external_id, fingerprint, blocked FROM host_links WHERE host = ? AND kind = ? AND external_id = ?', {
      replacements: [this.host, kind, externalId],
      type: QueryTypes.SELECT,
      transaction: t,
    });
    return rows[0] ? toLink(rows[0]) : null;
  }

  async linksByOctet(kind: LinkKind, octetIds: number[], t?: Transaction): Promise<Map<number, HostLink>> {
    const out = new Map<number, HostLink>();
    if (!octetIds.length) return out;
    const rows = await this.q.query<Raw>('SELECT external_id, octet_id, parent_external_id, fingerprint, blocked FROM host_links WHERE host = ? AND kind = ? AND octet_id IN (?)', {
      replacements: [this.host, kind, octetIds],
      type: QueryTypes.SELECT,
      transaction: t,
    });
    for (const r of rows) out.set(Number(r.octet_id), toLink(r));
    return out;
  }

  async servicesOfCustomer(customerExternalId: string, t?: Transaction): Promise<HostLink[]> {
    const rows = await this.q.query<Raw>("SELECT external_id, octet_id, parent_external_id, fingerprint, blocked FROM host_links WHERE host = ? AND kind = 'service' AND parent_external_id = ? ORDER BY octet_id", {
      replacements: [this.host, customerExternalId],
      type: QueryTypes.SELECT,
      transaction: t,
    });
    return rows.map(toLink);
  }

  async saveLink(kind: LinkKind, link: Omit<HostLink, 'blocked'>, t?: Transaction): Promise<void> {
    const args = [link.octetId, link.parentExternalId, link.fingerprint, this.now()];
    const update = () =>
      this.q.query('UPDATE host_links SET octet_id = ?, parent_external_id = ?, fingerprint = ?, updated_at = ? WHERE host = ? AND kind = ? AND external_id = ?', {
        replacements: [...args, this.host, kind, link.externalId],
        transaction: t,
      });
    if (await this.link(kind, link.externalId, t)) await update();
    else {
      try {
        await this.q.query('INSERT INTO host_links (host, kind, external_id, octet_id, parent_external_id, fingerprint, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', {
          replacements: [this.host, kind, link.externalId, ...args],
          transaction: t,
        });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        await update();
      }
    }
    // The account's held documents (if any) become due: the next charges pass posts them.
    if (kind === 'customer') {
      await this.q.query('UPDATE host_held_documents SET ready = 1 WHERE host = ? AND account_id = ? AND ready = 0', { replacements: [this.host, link.octetId], transaction: t });
    }
  }

  /**
   * Holds documents of accounts without a link (a document held already stays as it is). Written
   * first, then checked against the links: a link saved meanwhile makes them ready at once.
   */
  async hold(docs: HeldDocument[], t?: Transaction): Promise<void> {
    if (!docs.length) return;
    const now = this.now();
    await this.q.query(`${insertIgnore(this.db.dialect)} INTO host_held_documents (host, invoice_id, account_id, doc_type, number, issue_date, due_date, currency, ready, held_at) VALUES ${valuesPlaceholders(docs.length, 10)}`, {
      replacements: docs.flatMap((d) => [this.host, d.id, d.accountId, d.type, d.number, d.issueDate, d.dueDate, d.currency, 0, now]),
      transaction: t,
    });
    await this.q.query(
      "UPDATE host_held_documents SET ready = 1 WHERE host = ? AND ready = 0 AND account_id IN (?) AND account_id IN (SELECT octet_id FROM host_links WHERE host = ? AND kind = 'customer')",
      { replacements: [this.host, [...new Set(docs.map((d) => d.accountId))], this.host], transaction: t },
    );
  }

  /** Ready held documents (their account was linked since), oldest first, after `afterId`. */
  async readyHeld(afterId: string, limit: number, t?: Transaction): Promise<HeldDocument[]> {
    const rows = await this.q.query<Raw>(
      'SELECT CAST(invoice_id AS CHAR) AS id, doc_type, account_id, number, issue_date, due_date, currency FROM host_held_documents WHERE host = ? AND ready = 1 AND invoice_id > ? ORDER BY invoice_id LIMIT ?',
      { replacements: [this.host, afterId, limit], type: QueryTypes.SELECT, transaction: t },
    );
    return rows.map((r) => ({
      id: String(r.id),
      type: r.doc_type === 'credit_note' ? 'credit_note' : 'invoice',
      accountId: Number(r.account_id),
      number: (r.number as string | null) ?? null,
      issueDate: (r.issue_date as string | null) ?? null,
      dueDate: (r.due_date as string | null) ?? null,
      currency: String(r.currency),
    }));
  }

  /** Back to waiting: the accounts' links are gone (or moved to another account). */
  async unready(accountIds: number[], t?: Transaction): Promise<void> {
    if (!accountIds.length) return;
    await this.q.query('UPDATE host_held_documents SET ready = 0 WHERE host = ? AND account_id IN (?)', { replacements: [this.host, accountIds], transaction: t });
  }

  /** The document reached the host (or had nothing to post): no longer held. */
  async release(invoiceId: string, t?: Transaction): Promise<void> {
    await this.q.query('DELETE FROM host_held_documents WHERE host = ? AND invoice_id = ?', { replacements: [this.host, invoiceId], transaction: t });
  }

  async heldCount(t?: Transaction): Promise<number> {
    const rows = await this.q.query<Raw>('SELECT COUNT(*) AS n FROM host_held_documents WHERE host = ?', { replacements: [this.host], type: QueryTypes.SELECT, transaction: t });
    return Number(rows[0]?.n ?? 0);
  }

  async setBlocked(externalId: string, blocked: boolean, t?: Transaction): Promise<void> {
    await this.q.query("UPDATE host_links SET blocked = ? WHERE host = ? AND kind = 'customer' AND external_id = ?", { replacements: [blocked ? 1 : 0, this.host, externalId], transaction: t });
  }

  async state(stream: SyncStream, t?: Transaction): Promise<StreamState> {
    const rows = await this.q.query<Raw>('SELECT * FROM host_sync_state WHERE host = ? AND stream = ?', { replacements: [this.host, stream], type: QueryTypes.SELECT, transaction: t });
    const r = rows[0];
    if (!r) return { stream, cursor: null, lastRunAt: null, lastOkAt: null, counts: {}, lastError: null, failures: 0, nextAttemptAt: null };
    return {
      stream,
      cursor: (r.cursor_text as string | null) ?? null,
      lastRunAt: fromSqlTimeOrNull(r.last_run_at),
      lastOkAt: fromSqlTimeOrNull(r.last_ok_at),
      counts: r.counts ? (JSON.parse(String(r.counts)) as Record<string, number>) : {},
      lastError: (r.last_error as string | null) ?? null,
      failures: Number(r.failures ?? 0),
      nextAttemptAt: fromSqlTimeOrNull(r.next_attempt_at),
    };
  }

  async states(): Promise<StreamState[]> {
    return Promise.all(SYNC_STREAMS.map((s) => this.state(s)));
  }

  /** Writes the stream's row (created on first use); fields not given keep their value. */
  async saveState(stream: SyncStream, patch: Partial<Omit<StreamState, 'stream'>>, t?: Transaction): Promise<void> {
    await this.q.query(`${insertIgnore(this.db.dialect)} INTO host_sync_state (host, stream, failures, updated_at) VALUES (?, ?, 0, ?)`, { replacements: [this.host, stream, this.now()], transaction: t });
    const sets: string[] = ['updated_at = ?'];
    const args: unknown[] = [this.now()];
    const time = (d: Date | null | undefined) => (d ? sqlTime(this.db.dialect, d) : null);
    if (patch.cursor !== undefined) (sets.push('cursor_text = ?'), args.push(patch.cursor));
    if (patch.lastRunAt !== undefined) (sets.push('last_run_at = ?'), args.push(time(patch.lastRunAt)));
    if (patch.lastOkAt !== undefined) (sets.push('last_ok_at = ?'), args.push(time(patch.lastOkAt)));
    if (patch.counts !== undefined) (sets.push('counts = ?'), args.push(JSON.stringify(patch.counts)));
    if (patch.lastError !== undefined) (sets.push('last_error = ?'), args.push(patch.lastError?.slice(0, 1000) ?? null));
    if (patch.failures !== undefined) (sets.push('failures = ?'), args.push(patch.failures));
    if (patch.nextAttemptAt !== undefined) (sets.push('next_attempt_at = ?'), args.push(time(patch.nextAttemptAt)));
    await this.q.query(`UPDATE host_sync_state SET ${sets.join(', ')} WHERE host = ? AND stream = ?`, { replacements: [...args, this.host, stream], transaction: t });
  }

  async postedKeys(keys: string[], t?: Transaction): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const rows = await this.q.query<Raw>('SELECT charge_key FROM host_posted_charges WHERE charge_key IN (?)', { replacements: [keys], type: QueryTypes.SELECT, transaction: t });
    return new Set(rows.map((r) => String(r.charge_key)));
  }

  /** One row per line key; a key already saved (two runs racing) is left as it is. */
  async savePosted(rows: Array<{ key: string; invoiceId: string; externalId: string; foundExisting: boolean }>, t?: Transaction): Promise<void> {
    for (const r of rows) {
      try {
        await this.q.query('INSERT INTO host_posted_charges (charge_key, host, invoice_id, external_id, found_existing, posted_at) VALUES (?, ?, ?, ?, ?, ?)', {
          replacements: [r.key, this.host, r.invoiceId, r.externalId, r.foundExisting ? 1 : 0, this.now()],
          transaction: t,
        });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }

  async postedCount(): Promise<number> {
    const rows = await this.q.query<Raw>('SELECT COUNT(*) AS n FROM host_posted_charges WHERE host = ?', { replacements: [this.host], type: QueryTypes.SELECT });
    return Number(rows[0]?.n ?? 0);
  }

  /** Keeps the newest 200 errors per host. */
  async recordError(stream: SyncStream, externalId: string | null, message: string): Promise<void> {
    await this.q.query('INSERT INTO host_sync_errors (host, stream, external_id, message, at) VALUES (?, ?, ?, ?, ?)', { replacements: [this.host, stream, externalId, message.slice(0, 1000), this.now()] });
    const old = await this.q.query<Raw>('SELECT id FROM host_sync_errors WHERE host = ? ORDER BY id DESC LIMIT 1 OFFSET 200', { replacements: [this.host], type: QueryTypes.SELECT });
    if (old[0]) await this.q.query('DELETE FROM host_sync_errors WHERE host = ? AND id <= ?', { replacements: [this.host, old[0].id] });
  }

  async recentErrors(limit = 20): Promise<SyncErrorRow[]> {
    const rows = await this.q.query<Raw>('SELECT stream, external_id, message, at FROM host_sync_errors WHERE host = ? ORDER BY id DESC LIMIT ?', { replacements: [this.host, limit], type: QueryTypes.SELECT });
    return rows.map((r) => ({ stream: String(r.stream), externalId: (r.external_id as string | null) ?? null, message: String(r.message), at: fromSqlTimeOrNull(r.at)! }));
  }
}

function toLink(r: Raw): HostLink {
  return {
    externalId: String(r.external_id),
    octetId: Number(r.octet_id),
    parentExternalId: (r.parent_external_id as string | null) ?? null,
    fingerprint: String(r.fingerprint),
    blocked: r.blocked === null || r.blocked === undefined ? null : Boolean(Number(r.blocked)),
  };
}
