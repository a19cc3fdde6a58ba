import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import { fromSqlTimeOrNull, insertIgnore, sqlTime } from '../db/sql.js';

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

export interface SyncErrorRow {
  stream: string;
  externalId: string | null;
  message: string;
  at: Date;
}

type Raw = Record<string, unknown>;

/** host_links, host_sync_state, host_posted_charges, host_sync_errors (migration 0019). */
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
    if (await this.link(kind, link.externalId, t)) return void (await update());
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
