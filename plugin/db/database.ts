import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Sequelize, UniqueConstraintError, type Options, type Transaction } from 'sequelize';
import { ConfigError, OperationalError } from '../common/errors.js';
import { DatabaseBusyError, isDatabaseBusy, SQLITE_BUSY_TIMEOUT_MS, sqliteConnectionPragmas, WriterQueue } from './busy.js';
import type { Logger } from '../common/logger.js';
import { retryOnConflict } from './conflicts.js';

export type Dialect = 'sqlite' | 'mysql';

export interface Database {
  sequelize: Sequelize;
  dialect: Dialect;
  /**
   * Runs `fn` in one transaction, committed when it resolves, rolled back when it throws. With
   * `retryConflicts`, a transaction the server rolled back as a deadlock victim or, on Galera, a
   * certification conflict (error 1213) runs again from the start, a few times (conflicts.ts):
   * only for work that is safe to repeat (it writes only through `t`).
   */
  transaction<T>(fn: (t: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Cheap round trip, for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  retryConflicts?: boolean;
}

export interface ParsedDbUrl {
  dialect: Dialect;
  /** SQLite file path (absolute) or ':memory:'. */
  storage?: string;
  url?: string;
}

/**
 * `sqlite:var/octet.db` (relative to `baseDir`), `sqlite::memory:`, or `mysql://user:pass@host:3306/db`
 * (mariadb:// is accepted as the same thing).
 */
export function parseDbUrl(url: string, baseDir = process.cwd()): ParsedDbUrl {
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (rest === '' ) throw new ConfigError('(config)', [{ field: 'db.url', message: 'sqlite: URL needs a file path, e.g. sqlite:var/octet.db' }]);
    return { dialect: 'sqlite', storage: rest === ':memory:' ? ':memory:' : resolve(baseDir, rest) };
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
    } catch {
      throw new ConfigError('(config)', [{ field: 'db.url', message: 'not a valid mysql:// URL' }]);
    }
    if (!parsed.pathname || parsed.pathname === '/') {
      throw new ConfigError('(config)', [{ field: 'db.url', message: 'mysql:// URL must name a database, e.g. mysql://octet@127.0.0.1:3306/octet' }]);
    }
    return { dialect: 'mysql', url: parsed.toString() };
  }
  throw new ConfigError('(config)', [{ field: 'db.url', message: 'must start with sqlite: or mysql://' }]);
}

export interface OpenOptions {
  /** SQLite: how long a write waits for another process's write lock before the database counts as busy. */
  busyTimeoutMs?: number;
}

export async function openDatabase(url: string, logger: Logger, baseDir?: string, options: OpenOptions = {}): Promise<Database> {
  const parsed = parseDbUrl(url, baseDir);
  const busyTimeoutMs = options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS;
  const common: Options = {
    // Values inlined by replacements (session ids, upload tokens, customers' details) stay out of
    // the log: the statement's shape is what a debug log needs.
    logging: (sql: string) => logger.debug('sql', { sql: loggableSql(sql) }),
    define: { underscored: true, timestamps: false, freezeTableName: true },
  };
  let sequelize: Sequelize;
  if (parsed.dialect === 'sqlite') {
    if (parsed.storage !== ':memory:') mkdirSync(dirname(parsed.storage!), { recursive: true });
    sequelize = new Sequelize({
      ...common,
      dialect: 'sqlite',
      storage: parsed.storage!,
      // Sequelize's SQLite dialect keeps its own connections (one default, one per transaction);
      // writers are serialised by the writer queue below.
      pool: { max: 1, min: 0, idle: 10_000 },
      transactionType: 'IMMEDIATE' as never,
    });
  } else {
    sequelize = new Sequelize(parsed.url!, {
      ...common,
      dialect: 'mysql',
      timezone: '+00:00',
      dialectOptions: {
        // BIGINT and DECIMAL come back as strings; repositories convert them (never parseFloat).
        supportBigNumbers: true,
        bigNumberStrings: true,
        decimalNumbers: false,
        dateStrings: false,
        charset: 'utf8mb4',
        connectTimeout: 10_000,
      },
      pool: { max: 10, min: 0, idle: 10_000, acquire: 30_000 },
    });
  }
  try {
    if (parsed.dialect === 'sqlite') sqliteConnectionPragmas(sequelize, { busyTimeoutMs, wal: parsed.storage !== ':memory:' });
    await sequelize.authenticate();
  } catch (err) {
    await sequelize.close().catch(() => undefined);
    throw new OperationalError(`cannot connect to the database (${parsed.dialect}): ${(err as Error).message}`, { cause: err });
  }
  // SQLite takes one writer at a time: this process's transactions queue here rather than race for
  // the file lock; another process's writer is waited for up to the busy timeout.
  const writers = parsed.dialect === 'sqlite' ? new WriterQueue() : null;
  const once = <T>(fn: (t: Transaction) => Promise<T>): Promise<T> => (writers ? writers.run(() => sequelize.transaction(fn)) : sequelize.transaction(fn));
  const transaction = async <T>(fn: (t: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> => {
    try {
      if (!options.retryConflicts) return await once(fn);
      return await retryOnConflict(() => once(fn), {
        onRetry: (attempt, err) => logger.warn('transaction rolled back by a write conflict (deadlock or certification); running it again', { attempt, error: (err as Error).message }),
      });
    } catch (err) {
      if (isDatabaseBusy(err)) throw new DatabaseBusyError(parsed.dialect, err);
      throw err;
    }
  };
  return {
    sequelize,
    dialect: parsed.dialect,
    transaction,
    ping: async () => {
      await sequelize.query('SELECT 1');
    },
    close: () => sequelize.close(),
  };
}

/** Recognises a duplicate-key error on both MySQL/MariaDB and SQLite: idempotency rests on it. */
export function isDuplicateKey(err: unknown): boolean {
  if (err instanceof UniqueConstraintError) return true;
  const e = err as { original?: { code?: string; errno?: number }; parent?: { code?: string } } | undefined;
  const code = e?.original?.code ?? e?.parent?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT' || e?.original?.errno === 1062;
}

/**
 * The first 500 characters of a statement, literals replaced: only the head is scanned (an ingest
 * statement is 300 KB of values, and this runs for every statement even with debug logging off),
 * and a literal the cut leaves open is dropped too.
 */
export function loggableSql(sql: string): string {
  let s = withoutLiterals(sql.slice(0, 2000));
  // Every closed literal is now '?': an odd count of quotes means one was left open by the cut.
  if ((s.match(/'/g)?.length ?? 0) % 2 === 1) s = `${s.slice(0, s.lastIndexOf("'"))}'?`;
  return s.slice(0, 500);
}

/** SQL text with every quoted string literal replaced by '?' (both dialects' quoting). */
export function withoutLiterals(sql: string): string {
  return sql.replace(/'(?:[^'\\]|\\.|'')*'/g, "'?'");
}
