import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, hourlyRows, observation, postBatch } from './fixtures.js';

/**
 * The rollup's usual round writes known rows in place, by primary key (usage.repository.ts
 * saveSessions and upsertHourly): a session and an hourly row keep their ids round after round,
 * only a new session or bucket adds a row, and what the rows hold is what a rebuild computes.
 */
forEachDatabase('the rollup writing known rows in place', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let usage: ReturnType<typeof buildUsage>;
  let serviceId: number;
  const clock = new ManualClock('2026-11-01T00:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock });
    token = await createAgent(plugin.ctx);
    usage = buildUsage(plugin.ctx);
    ({ serviceId } = await createService(plugin.ctx, 'carol'));
  });
  after(async () => plugin?.close());

  const carol = (iso: string, download: number, over: Partial<SessionObservation> = {}) =>
    observation({ login: 'carol', sessionId: 'C1', sessionStart: '2026-03-02T10:00:00Z', observedAt: iso, downloadOctets: String(download), uploadOctets: String(download / 10), ...over });
  const send = async (records: SessionObservation[]) => {
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.rejected).to.deep.equal([]);
  };
  const ids = async (table: 'usage_sessions' | 'usage_hourly') =>
    (await plugin.ctx.db.sequelize.query<{ id: string }>(`SELECT CAST(id AS CHAR) AS id FROM ${table} ORDER BY id`, { type: QueryTypes.SELECT })).map((r) => String(r.id));

  it('keeps the ids of a session and of its hourly rows across rounds, adds rows only for a new session or bucket, and matches a rebuild', async () => {
    await send([carol('2026-03-02T10:05:00Z', 1000), carol('2026-03-02T10:10:00Z', 2000, { sessionId: 'C2', login: 'carol' })]);
    await usage.rollup.rollupPending();
    const sessions = await ids('usage_sessions');
    const hourly = await ids('usage_hourly');
    expect(sessions).to.have.length(2);
    expect(hourly).to.have.length(1);

    // Same bucket (10:00-10:15): both sessions' rows and the one hourly row are updated in place.
    await send([carol('2026-03-02T10:10:00Z', 1500), carol('2026-03-02T10:14:00Z', 2600, { sessionId: 'C2' })]);
    await usage.rollup.rollupPending();
    expect(await ids('usage_sessions')).to.deep.equal(sessions);
    expect(await ids('usage_hourly')).to.deep.equal(hourly);
    expect(await hourlyRows(plugin.ctx)).to.deep.equal([`carol|2026-03-02T10:00:00.000Z|${serviceId}|radius|4100|410`]);

    // The next bucket adds one row; the first keeps its id and its bytes.
    await send([carol('2026-03-02T10:20:00Z', 2500)]);
    await usage.rollup.rollupPending();
    const after = await ids('usage_hourly');
    expect(after.slice(0, 1)).to.deep.equal(hourly);
    expect(after).to.have.length(2);
    const rows = await hourlyRows(plugin.ctx);
    // 10:10 -> 10:20 (1000 bytes) is split by time: 500 in each bucket.
    expect(rows).to.deep.equal([
      `carol|2026-03-02T10:00:00.000Z|${serviceId}|radius|4600|460`,
      `carol|2026-03-02T10:15:00.000Z|${serviceId}|radius|500|50`,
    ]);
    await usage.rollup.rebuildAll();
    expect(await hourlyRows(plugin.ctx)).to.deep.equal(rows);
  });

  it('indexes a session\'s observations by session_key alone, so marking them rolled up moves no entry of that index', async () => {
    const indexes = (await plugin.ctx.db.sequelize.getQueryInterface().showIndex('usage_observations')) as Array<{ name: string; fields: Array<{ attribute: string }> }>;
    const bySession = indexes.filter((i) => i.fields[0]?.attribute === 'session_key');
    expect(bySession.map((i) => [i.name, i.fields.map((f) => f.attribute)])).to.deep.equal([['usage_observations_session_key', ['session_key']]]);
  });

  it('reads pending observations in numeric id order, across a change in the number of digits', async () => {
    await send([carol('2026-03-02T11:00:00Z', 9000, { sessionId: 'C9' }), carol('2026-03-02T11:05:00Z', 9500, { sessionId: 'C9' })]);
    const db = plugin.ctx.db.sequelize;
    const pendingIds = async () => (await db.query<{ id: string }>('SELECT CAST(id AS CHAR) AS id FROM usage_observations WHERE rolled_up = 0 ORDER BY usage_observations.id', { type: QueryTypes.SELECT })).map((r) => String(r.id));
    const [first, second] = await pendingIds();
    // The later one gets more digits than the earlier: as text, '1000000' sorts before '999999'.
    await db.query(`UPDATE usage_observations SET id = 1000000 WHERE id = ${second}`);
    await db.query(`UPDATE usage_observations SET id = 999999 WHERE id = ${first}`);
    expect(await pendingIds()).to.deep.equal(['999999', '1000000']);
    expect((await usage.usage.pendingObservations(1)).map((o) => o.id)).to.deep.equal(['999999']);
    expect((await usage.usage.pendingObservationsAfter('0', 1)).map((o) => o.id)).to.deep.equal(['999999']);
    expect((await usage.usage.pendingObservationsAfter('999999', 5)).map((o) => o.id)).to.deep.equal(['1000000']);
    const stats = await usage.rollup.rollupPending({ chunkSessions: 1 });
    expect(stats.observations).to.equal(2);
    expect(await pendingIds()).to.deep.equal([]);
  });

  it('indexes sessions by nothing a round rewrites (latest observation, counters), so updating a running session moves no index entry', async () => {
    const indexes = (await plugin.ctx.db.sequelize.getQueryInterface().showIndex('usage_sessions')) as Array<{ name: string; primary?: boolean; fields: Array<{ attribute: string }> }>;
    const perRound = ['last_observed_at', 'last_download', 'last_upload', 'framed_ip', 'updated_at', 'first_observed_at', 'ignored_late'];
    const secondary = indexes.filter((i) => !i.primary && i.name !== 'PRIMARY');
    expect(secondary.filter((i) => i.fields.some((f) => perRound.includes(f.attribute))).map((i) => i.name)).to.deep.equal([]);
    expect(secondary.find((i) => i.name === 'usage_sessions_running')?.fields.map((f) => f.attribute)).to.deep.equal(['ended', 'source_name', 'login']);
  });
});
