import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

/**
 * The integration suite runs on SQLite always and on MySQL/MariaDB where a server answers at
 * OCTET_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306). With CI=true the MySQL run is
 * required: an unreachable server fails the suite at load time, and test/run.sh checks afterwards
 * that MySQL tests actually passed.
 */
export type TestDialect = 'sqlite' | 'mysql';

export const MYSQL_SERVER_URL = process.env.OCTET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

async function probeMysql(): Promise<string | null> {
  try {
    const conn = await mysql.createConnection({ uri: MYSQL_SERVER_URL, connectTimeout: 3000 });
    await conn.query('SELECT 1');
    await conn.end();
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

const mysqlProblem = await probeMysql();
export const mysqlAvailable = mysqlProblem === null;
if (!mysqlAvailable && process.env.CI === 'true') {
  throw new Error(`CI=true requires the MySQL suite, but ${MYSQL_SERVER_URL} is unreachable: ${mysqlProblem}`);
}

export interface TestDatabase {
  dialect: TestDialect;
  url: string;
  drop(): Promise<void>;
}

let counter = 0;

/**
 * A fresh, empty database: a temporary SQLite file, or a new MySQL schema dropped afterwards.
 * MySQL schemas are binary by default; `serverDefaults` creates one with the server's default
 * character set and collation instead (utf8mb4_general_ci on a stock MariaDB), as an ISP's DBA would.
 */
export async function createTestDatabase(dialect: TestDialect, options: { serverDefaults?: boolean } = {}): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'octet-test-'));
    return { dialect, url: `sqlite:${join(dir, 'octet.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `octet_test_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER_URL });
  await admin.query(options.serverDefaults ? `CREATE DATABASE \`${name}\`` : `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(MYSQL_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    drop: async () => {
      const c = await mysql.createConnection({ uri: MYSQL_SERVER_URL });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

export const DIALECTS: TestDialect[] = ['sqlite', 'mysql'];

/**
 * Declares the same specification once per database: `describe('<title> on sqlite')` and
 * `describe('<title> on mysql')`. Without a reachable MySQL server (and outside CI) the MySQL
 * block is reported as pending with the reason, never silently dropped.
 */
export function forEachDatabase(title: string, body: (dialect: TestDialect) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${title} on ${dialect}`, function () {
      if (dialect === 'mysql') {
        before(function () {
          if (!mysqlAvailable) {
            this.test!.title += ` (MySQL unreachable at ${MYSQL_SERVER_URL}: ${mysqlProblem})`;
            this.skip();
          }
        });
        afterEach(function () {
          if (this.currentTest?.state === 'passed' && process.env.OCTET_TEST_MYSQL_MARKER) {
            appendFileSync(process.env.OCTET_TEST_MYSQL_MARKER, '.');
          }
        });
      }
      body(dialect);
    });
  }
}
