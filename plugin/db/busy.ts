import { AsyncLocalStorage } from 'node:async_hooks';
import { ConnectionAcquireTimeoutError, TimeoutError, type Sequelize } from 'sequelize';
import { OperationalError } from '../common/errors.js';
import type { Dialect } from './database.js';

/** How long an SQLite write waits for another process's (a CLI command's) write lock by default. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** What a client is told to wait before retrying when the database is busy. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

/**
 * The database is busy (SQLite's write lock held by another process past the busy timeout, a MySQL
 * lock wait timeout or deadlock): nothing was changed, and the same request may succeed shortly.
 * Answered 503 with Retry-After, never 500.
 */
export class DatabaseBusyError extends OperationalError {
  readonly retryAfterSeconds = BUSY_RETRY_AFTER_SECONDS;
  constructor(dialect: Dialect, cause: unknown) {
    super(`the database is busy (${dialect}); retry shortly`, { cause, retryable: true });
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED, MySQL lock wait timeout (1205) and deadlock (1213), a pool that could not hand out a connection. */
export function isDatabaseBusy(err: unknown): boolean {
  if (err instanceof DatabaseBusyError || err instanceof ConnectionAcquireTimeoutError || err instanceof TimeoutError) return true;
  for (let e = err as { code?: unknown; errno?: unknown; original?: unknown; parent?: unknown; message?: unknown } | undefined, i = 0; e && i < 4; i++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'ER_LOCK_DEADLOCK') return true;
    if (e.errno === 1205 || e.errno === 1213) return true;
    if (typeof e.message === 'string' && /^SQLITE_(BUSY|LOCKED)\b/.test(e.message)) return true;
    e = (e.original ?? e.parent) as typeof e;
  }
  return false;
}

interface Sqlite3Connection {
  configure(option: 'busyTimeout', ms: number): void;
  exec(sql: string, cb: (err: Error | null) => void): void;
  __octetReady?: Promise<void>;
}

/**
 * Sequelize's SQLite dialect opens one connection per transaction (besides its default one) and
 * sets only foreign_keys on it, so a PRAGMA run once at start-up does not reach the connections
 * that write: their busy timeout is 0, and a CLI command writing the same file made them fail at
 * once with SQLITE_BUSY. Every connection it opens gets the busy timeout and the pragmas here.
 */
export function sqliteConnectionPragmas(sequelize: Sequelize, options: { busyTimeoutMs: number; wal: boolean }): void {
  const manager = sequelize.connectionManager as unknown as { getConnection(o?: unknown): Promise<Sqlite3Connection> };
  const open = manager.getConnection.bind(manager);
  const pragmas = `PRAGMA foreign_keys = ON; ${options.wal ? 'PRAGMA journal_mode = WAL; ' : ''}PRAGMA synchronous = NORMAL;`;
  manager.getConnection = async (o?: unknown) => {
    const connection = await open(o);
    connection.__octetReady ??= new Promise<void>((resolve, reject) => {
      connection.configure('busyTimeout', options.busyTimeoutMs);
      connection.exec(pragmas, (err) => (err ? reject(err) : resolve()));
    });
    await connection.__octetReady;
    return connection;
  };
}

/**
 * One writer at a time, in arrival order. A transaction started inside a queued one (nested) runs
 * at once: waiting for the outer one would wait for itself.
 */
export class WriterQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inside = new AsyncLocalStorage<true>();

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn();
    const result = this.tail.then(() => this.inside.run(true, fn));
    this.tail = result.catch(() => undefined);
    return result;
  }
}
