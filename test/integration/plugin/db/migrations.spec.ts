import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { openDatabase, type Database } from '../../../../plugin/db/database.js';
import { migrate } from '../../../../plugin/db/migrator.js';
import { MAX_OCTETS } from '../../../../plugin/common/wire.js';
import { createTestDatabase, forEachDatabase, type TestDatabase } from '../../../support/databases.js';

forEachDatabase('migrations', (dialect) => {
  let testDb: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    testDb = await createTestDatabase(dialect);
    db = await openDatabase(testDb.url, nullLogger);
  });
  afterEach(async () => {
    await db.close();
    await testDb.drop();
  });

  it('apply every migration on an empty database, then nothing on a second run', async () => {
    const first = await migrate(db, nullLogger);
    expect(first[0]).to.equal('0001-foundation');
    expect(first).to.deep.equal([...first].sort());
    expect(await migrate(db, nullLogger)).to.deep.equal([]);
    const tables = (await db.sequelize.getQueryInterface().showAllTables()).map(String);
    expect(tables).to.include.members(['users', 'api_tokens', 'settings', 'web_sessions', 'audit_log', 'octet_migrations', 'accounts', 'services']);
  });

  it('run safely from two processes at once: each migration applied exactly once', async () => {
    const other = await openDatabase(testDb.url, nullLogger);
    try {
      const [a, b] = await Promise.all([migrate(db, nullLogger), migrate(other, nullLogger)]);
      const applied = [...a, ...b].sort();
      expect(new Set(applied).size).to.equal(applied.length);
      const rows = await db.sequelize.query<{ name: string }>('SELECT name FROM octet_migrations', { type: QueryTypes.SELECT });
      expect(rows.map((r) => r.name).sort()).to.deep.equal(applied);
    } finally {
      await other.close();
    }
  });

  it('store byte counts as exact 64-bit integers, past 2^53 and up to 2^63-1 (MAX_OCTETS)', async () => {
    await migrate(db, nullLogger);
    await db.sequelize.query('CREATE TABLE probe_bytes (n BIGINT NOT NULL)');
    const values = ['9007199254740993', MAX_OCTETS.toString()];
    for (const v of values) await db.sequelize.query('INSERT INTO probe_bytes (n) VALUES (?)', { replacements: [v] });
    const rows = await db.sequelize.query<{ n: string | number }>('SELECT CAST(n AS CHAR) AS n FROM probe_bytes ORDER BY n', { type: QueryTypes.SELECT });
    expect(rows.map((r) => String(r.n))).to.deep.equal(values);
  });

  it('keep logins unique among live services but free once a service ended', async () => {
    await migrate(db, nullLogger);
    const now = new Date();
    const q = db.sequelize.getQueryInterface();
    await q.bulkInsert('accounts', [{ name: 'A', currency: 'USD', status: 'active', tax_exempt: false, created_at: now, updated_at: now }]);
    const svc = (login: string, live: string | null) => ({ account_id: 1, login, live_login: live, status: live ? 'active' : 'ended', start_date: '2026-01-01', created_at: now, updated_at: now });
    await q.bulkInsert('services', [svc('ann', null), svc('ann', null), svc('ann', 'ann')]);
    let duplicate: unknown = null;
    try {
      await q.bulkInsert('services', [svc('ann', 'ann')]);
    } catch (err) {
      duplicate = err;
    }
    const { isDuplicateKey } = await import('../../../../plugin/db/database.js');
    expect(isDuplicateKey(duplicate)).to.equal(true);
  });
});
