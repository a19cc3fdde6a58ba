import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { isDuplicateKey } from '../../../../plugin/db/database.js';
import { buildIngest, ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from '../usage/fixtures.js';

// Logins and session ids are compared byte for byte (DESIGN.md, Identity), on a MySQL database
// created with the server's defaults (utf8mb4_general_ci: case-insensitive, PAD SPACE) too.
forEachDatabase('identity on a database created with the server\'s default collation', (dialect) => {
  let plugin: TestPlugin;
  let token: string;

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: new ManualClock('2026-03-02T00:00:00Z'), serverDefaultDatabase: true });
    token = await createAgent(plugin.ctx);
  });
  after(async () => plugin?.close());

  async function hourlyByLogin(logins: readonly string[]): Promise<Map<string, string>> {
    const rows = await plugin.ctx.db.sequelize.query<{ login: string; d: string | number }>(
      `SELECT login, SUM(download) AS d FROM usage_hourly WHERE login IN (${logins.map(() => '?').join(', ')}) GROUP BY login`,
      { replacements: [...logins], type: QueryTypes.SELECT },
    );
    return new Map(rows.map((r) => [r.login, String(r.d)]));
  }

  it('keeps Bob, bob and "bob " apart as three logins in hourly usage, each with its own bytes', async () => {
    const logins = ['Bob', 'bob', 'bob '];
    const records = logins.map((login, i) => observation({ login, sessionId: `sess-${i}`, observedAt: '2026-03-01T10:00:00Z', downloadOctets: String((i + 1) * 1000) }));
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.accepted).to.equal(3);
    await buildUsage(plugin.ctx).rollup.rollupPending();
    expect(Object.fromEntries(await hourlyByLogin(logins))).to.deep.equal({ Bob: '1000', bob: '2000', 'bob ': '3000' });
  });

  it('keeps session ids that differ only in case or a trailing space as separate sessions', async () => {
    const ids = ['X1', 'x1', 'x1 '];
    const records = ids.map((sessionId, i) => observation({ login: 'carla', sessionId, observedAt: '2026-03-01T11:00:00Z', downloadOctets: String((i + 1) * 100) }));
    await postBatch(plugin.app, token, batch(records)).expect(200);
    await buildUsage(plugin.ctx).rollup.rollupPending();
    const sessions = await plugin.ctx.db.sequelize.query<{ session_id: string }>("SELECT session_id FROM usage_sessions WHERE login = 'carla' ORDER BY session_id", { type: QueryTypes.SELECT });
    expect(sessions.map((s) => s.session_id).sort()).to.deep.equal([...ids].sort());
    expect((await hourlyByLogin(['carla'])).get('carla')).to.equal('600');
  });

  it('lets three services hold the live logins dan, Dan and "dan ", and still refuses the same live login twice', async () => {
    for (const login of ['dan', 'Dan', 'dan ']) await createService(plugin.ctx, login);
    const services = await plugin.ctx.db.sequelize.query<{ live_login: string }>("SELECT live_login FROM services WHERE live_login IN ('dan', 'Dan', 'dan ')", { type: QueryTypes.SELECT });
    expect(services).to.have.length(3);
    const err = await createService(plugin.ctx, 'Dan').then(() => null, (e: unknown) => e);
    expect(isDuplicateKey(err)).to.equal(true);
  });

  it('keeps agents named pop-A and pop-a apart', async () => {
    const agents = buildIngest(plugin.ctx).agents;
    await agents.create('pop-A', 'test');
    const { info } = await agents.create('pop-a', 'test');
    expect(info.name).to.equal('pop-a');
    expect((await agents.list()).map((a) => a.name)).to.include.members(['pop-A', 'pop-a']);
  });

  it('records a repeated record id only when its bytes match exactly, not when they differ in case', async () => {
    const first = observation({ recordId: 'rec-Case', login: 'erin', sessionId: 'E1', observedAt: '2026-03-01T12:00:00Z', downloadOctets: '10' });
    const second = observation({ recordId: 'rec-case', login: 'erin', sessionId: 'E1', observedAt: '2026-03-01T12:05:00Z', downloadOctets: '20' });
    await postBatch(plugin.app, token, batch([first])).expect(200);
    const res = await postBatch(plugin.app, token, batch([second])).expect(200);
    expect(res.body).to.include({ accepted: 1, duplicateRecords: 0 });
    const ids = await plugin.ctx.db.sequelize.query<{ record_id: string }>("SELECT record_id FROM usage_observations WHERE login = 'erin'", { type: QueryTypes.SELECT });
    expect(ids.map((r) => r.record_id).sort()).to.deep.equal(['rec-Case', 'rec-case']);
  });

  if (dialect === 'mysql') {
    it('gives every short text column of every table a NO PAD binary collation, unless it is meant to compare loosely', async () => {
      const loose = await plugin.ctx.db.sequelize.query<{ t: string; c: string; coll: string }>(
        `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLLATION_NAME AS coll FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE IN ('char', 'varchar') AND TABLE_NAME NOT LIKE 'octet\\_migration%'
            AND COLLATION_NAME NOT IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin') AND COLLATION_NAME NOT LIKE '%unicode%ci'`,
        { type: QueryTypes.SELECT },
      );
      expect(loose.map((r) => `${r.t}.${r.c} (${r.coll})`)).to.deep.equal([]);
    });
  }
});
