import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QueryTypes, type QueryInterface } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Logger } from '../common/logger.js';
import type { Database, Dialect } from './database.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface MigrationContext {
  queryInterface: QueryInterface;
  dialect: Dialect;
}

export interface Migration {
  up(ctx: MigrationContext): Promise<void>;
}

/**
 * Forward-only migrations (one history for MySQL/MariaDB and SQLite), recorded in `octet_migrations`.
 * Safe to run twice and from two processes at once: a lock serialises runners (a named lock on
 * MySQL, a lease row on SQLite), so each migration is applied exactly once.
 */
export async function migrate(db: Database, logger: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}-[a-z0-9-]+\.(ts|js)$/.test(f))
    .sort();
  const umzug = new Umzug<MigrationContext>({
    migrations: files.map((file) => ({
      name: file.replace(/\.(ts|js)$/, ''),
      up: async ({ context }) => {
        const mod = (await import(pathToFileURL(join(dir, file)).href)) as Migration;
        await mod.up(context);
      },
    })),
    context: { queryInterface: db.sequelize.getQueryInterface(), dialect: db.dialect },
    storage: new SequelizeStorage({ sequelize: db.sequelize, tableName: 'octet_migrations' }),
    logger: undefined,
  });
  const lock = db.dialect === 'mysql' ? await acquireMysqlLock(db) : await acquireSqliteLease(db);
  try {
    const done = await umzug.up();
    for (const m of done) logger.info('migration applied', { migration: m.name });
    return done.map((m) => m.name);
  } finally {
    await lock?.release();
  }
}

async function acquireMysqlLock(db: Database): Promise<{ release(): Promise<void> }> {
  // GET_LOCK is per connection: hold one connection for the whole run.
  const t = await db.sequelize.transaction();
  const rows = await db.sequelize.query<{ got: number | string }>("SELECT GET_LOCK('octet_migrate', 120) AS got", {
    type: QueryTypes.SELECT,
    transaction: t,
  });
  if (String(rows[0]?.got) !== '1') {
    await t.rollback();
    throw new Error('another octet migrate held the migration lock for 120 s');
  }
  return {
    release: async () => {
      await db.sequelize.query("SELECT RELEASE_LOCK('octet_migrate')", { transaction: t });
      await t.commit();
    },
  };
}

const LEASE_MS = 10 * 60_000;

/**
 * SQLite has no named locks and holding a transaction would block the single pooled connection
 * the migrations themselves need, so runners take a lease row instead (each statement is atomic).
 */
async function acquireSqliteLease(db: Database): Promise<{ release(): Promise<void> }> {
  const holder = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  await db.sequelize.query(
    'CREATE TABLE IF NOT EXISTS octet_migration_lock (id INTEGER PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)',
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    await db.sequelize.query('DELETE FROM octet_migration_lock WHERE expires_at < ?', { replacements: [Date.now()] });
    await db.sequelize.query('INSERT OR IGNORE INTO octet_migration_lock (id, holder, expires_at) VALUES (1, ?, ?)', {
      replacements: [holder, Date.now() + LEASE_MS],
    });
    const rows = await db.sequelize.query<{ holder: string }>('SELECT holder FROM octet_migration_lock WHERE id = 1', { type: QueryTypes.SELECT });
    if (rows[0]?.holder === holder) break;
    if (Date.now() > deadline) throw new Error('another octet migrate held the migration lease for 120 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    release: async () => {
      await db.sequelize.query('DELETE FROM octet_migration_lock WHERE id = 1 AND holder = ?', { replacements: [holder] });
    },
  };
}
