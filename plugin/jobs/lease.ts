import { QueryTypes, type Transaction } from 'sequelize';
import { OperationalError } from '../common/errors.js';
import type { Database, Dialect } from '../db/database.js';

/**
 * Database leases with fencing, for jobs that must not overlap across plugin instances (rollup,
 * billing, dunning).
 *
 * - Expiry is judged by the database server's clock, never an instance's own: two instances
 *   whose clocks disagree still agree on whether a lease has expired.
 * - Every acquisition increments the lease's token. Each transaction doing the job's work calls
 *   `prove(lease, t)` first: it locks the lease row (held until that transaction ends), checks
 *   holder, token and expiry on the server's clock, and extends the expiry. A holder that stalled
 *   past its expiry, and was overtaken, finds a newer token and aborts before writing anything;
 *   and while a proven transaction is open no one can take the lease over, because taking it
 *   needs the same row lock.
 */
export interface Lease {
  name: string;
  holder: string;
  token: bigint;
  ttlMs: number;
}

/** The lease was taken over (or expired) while its work was running: the work must stop. */
export class LeaseLostError extends OperationalError {
  constructor(readonly lease: Pick<Lease, 'name' | 'holder' | 'token'>) {
    super(`lease ${lease.name} is no longer held by ${lease.holder} with token ${lease.token}`, { retryable: true });
  }
}

/** The database server's time in epoch milliseconds, as an SQL expression. */
export function dbNowMs(dialect: Dialect): string {
  return dialect === 'mysql'
    ? 'CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)'
    : "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";
}

interface LeaseRow {
  holder: string;
  token: string | number;
  expires_ms: string | number;
  now_ms: string | number;
}

export class LeaseRepository {
  constructor(private readonly db: Database) {}

  private async read(name: string, t: Transaction): Promise<LeaseRow | null> {
    const lock = this.db.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const rows = await this.db.sequelize.query<LeaseRow>(
      `SELECT holder, CAST(token AS CHAR) AS token, CAST(expires_ms AS CHAR) AS expires_ms, ${dbNowMs(this.db.dialect)} AS now_ms FROM job_leases WHERE name = ?${lock}`,
      { replacements: [name], type: QueryTypes.SELECT, transaction: t },
    );
    return rows[0] ?? null;
  }

  /** Takes the lease if it is free or expired (or already ours): a new token; null when another holds it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | null> {
    const d = this.db.dialect;
    // The row must exist before it can be locked; a concurrent insert of it is harmless.
    const ignore = d === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await this.db.sequelize.query(`${ignore} INTO job_leases (name, holder, token, expires_ms) VALUES (?, '', 0, 0)`, { replacements: [name] });
    return this.db.transaction(async (t) => {
      const row = await this.read(name, t);
      if (!row) return null;
      const expired = BigInt(row.expires_ms) <= BigInt(row.now_ms);
      if (!expired && row.holder !== holder) return null;
      const token = BigInt(row.token) + 1n;
      await this.db.sequelize.query(`UPDATE job_leases SET holder = ?, token = ?, expires_ms = ${dbNowMs(d)} + ? WHERE name = ?`, {
        replacements: [holder, token.toString(), ttlMs, name],
        transaction: t,
      });
      return { name, holder, token, ttlMs };
      // Two instances on different Galera nodes taking the lease at once: the second to commit
      // fails certification; running again reads the winner's row and returns null.
    }, { retryConflicts: true });
  }

  /**
   * Inside the transaction that does the lease's work: proves the lease is still this one and
   * extends it; throws LeaseLostError otherwise (the caller's transaction then rolls back).
   */
  async prove(lease: Lease, t: Transaction): Promise<void> {
    const row = await this.read(lease.name, t);
    if (!row || row.holder !== lease.holder || BigInt(row.token) !== lease.token || BigInt(row.expires_ms) <= BigInt(row.now_ms)) {
      throw new LeaseLostError(lease);
    }
    await this.db.sequelize.query(`UPDATE job_leases SET expires_ms = ${dbNowMs(this.db.dialect)} + ? WHERE name = ? AND token = ?`, {
      replacements: [lease.ttlMs, lease.name, lease.token.toString()],
      transaction: t,
    });
  }

  /** Extends the lease outside any work transaction; throws LeaseLostError when it is gone. */
  async renew(lease: Lease): Promise<void> {
    await this.db.transaction((t) => this.prove(lease, t), { retryConflicts: true });
  }

  /** Gives the lease up at once (only if it is still this token). */
  async release(lease: Lease): Promise<void> {
    await this.db.sequelize.query('UPDATE job_leases SET expires_ms = 0 WHERE name = ? AND holder = ? AND token = ?', {
      replacements: [lease.name, lease.holder, lease.token.toString()],
    });
  }
}
