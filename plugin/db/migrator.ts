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
 * Safe to run twice and from two processes at once: on MySQL a named lock serialises runners.
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
  const lock = db.dialect === 'mysql' ? await acquireMysqlLock(db) : null;
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
