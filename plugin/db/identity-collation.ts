import { QueryTypes, type QueryInterface } from 'sequelize';
import type { MigrationContext } from './migrator.js';

/**
 * Identity on MySQL/MariaDB: logins, session ids, record and batch ids, agent and router names are
 * compared byte for byte, whatever collation the server or database defaults to. Binary is not
 * enough: utf8mb4_bin is a PAD SPACE collation, so 'bob' = 'bob ' under it (and in its unique
 * indexes). NO PAD binary collations keep trailing spaces: MariaDB's utf8mb4_nopad_bin, MySQL 8's
 * utf8mb4_0900_bin. SQLite's default BINARY collation already compares bytes.
 */
const NO_PAD_BINARY = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'] as const;

/** The server's NO PAD binary utf8mb4 collation. */
export async function identityCollation(q: QueryInterface): Promise<string> {
  const rows = await q.sequelize.query<{ name: string }>(
    `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (${NO_PAD_BINARY.map(() => '?').join(', ')})`,
    { replacements: [...NO_PAD_BINARY], type: QueryTypes.SELECT },
  );
  const found = NO_PAD_BINARY.find((c) => rows.some((r) => r.name === c));
  if (!found) throw new Error(`the MySQL server has no NO PAD binary utf8mb4 collation (${NO_PAD_BINARY.join(' or ')}); Octet needs MariaDB 10.2+ or MySQL 8`);
  return found;
}

/**
 * Options for `createTable` in migrations: on MySQL the table's text columns default to the
 * identity collation (columns meant to compare loosely, such as names searched case-insensitively,
 * declare their own). Every new table should be created with them.
 */
export async function identityTableOptions({ queryInterface: q, dialect }: MigrationContext): Promise<{ charset?: string; collate?: string }> {
  return dialect === 'mysql' ? { charset: 'utf8mb4', collate: await identityCollation(q) } : {};
}

/**
 * Converts the CHAR/VARCHAR columns of the given tables to the identity collation (keeping type,
 * nullability and default), except those declared with a case-insensitive Unicode collation on
 * purpose, and makes it the tables' and the database's default for columns added later. Does
 * nothing on SQLite; columns already converted are left alone, so it can run again.
 */
export async function bindIdentityColumns(ctx: MigrationContext, tables: readonly string[]): Promise<void> {
  if (ctx.dialect !== 'mysql' || tables.length === 0) return;
  const q = ctx.queryInterface;
  const collation = await identityCollation(q);
  const mariadb = /mariadb/i.test(String((await q.sequelize.query<{ v: string }>('SELECT VERSION() AS v', { type: QueryTypes.SELECT }))[0]?.v));
  await q.sequelize.query(`ALTER DATABASE CHARACTER SET utf8mb4 COLLATE ${collation}`);
  const columns = await q.sequelize.query<{ t: string; c: string; type: string; nullable: string; def: string | null; coll: string }>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def, COLLATION_NAME AS coll
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${tables.map(() => '?').join(', ')}) AND DATA_TYPE IN ('char', 'varchar')
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    { replacements: [...tables], type: QueryTypes.SELECT },
  );
  for (const table of tables) {
    const changes = columns
      .filter((col) => col.t === table && col.coll !== collation && !/_unicode_(520_)?ci$|_0900_ai_ci$/.test(col.coll))
      .map((col) => `MODIFY ${q.quoteIdentifier(col.c)} ${col.type} CHARACTER SET utf8mb4 COLLATE ${collation} ${col.nullable === 'YES' ? 'NULL' : 'NOT NULL'}${defaultClause(col.def, mariadb, q)}`);
    // One ALTER per table: InnoDB rebuilds it once, whatever the number of columns.
    await q.sequelize.query(`ALTER TABLE ${q.quoteIdentifier(table)} DEFAULT CHARACTER SET utf8mb4 COLLATE ${collation}${changes.length ? ', ' + changes.join(', ') : ''}`);
  }
}

/** MariaDB reports defaults as SQL literals ('active', NULL); MySQL as the bare value. */
function defaultClause(def: string | null, mariadb: boolean, q: QueryInterface): string {
  if (def === null || (mariadb && def === 'NULL')) return '';
  return ` DEFAULT ${mariadb ? def : q.sequelize.escape(def)}`;
}
