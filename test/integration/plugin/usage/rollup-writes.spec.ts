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
});
