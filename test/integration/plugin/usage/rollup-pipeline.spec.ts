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
 * The rollup reading chunk k+1 while chunk k writes (rollup.service.ts rollupPipelined): with
 * chunks far smaller than the work, sessions whose observations are cut between chunks, logins
 * with two sessions in different chunks and late observations, every byte is counted once and
 * the rows equal what a rebuild computes from the same observations.
 */
forEachDatabase('the rollup reading the next chunk ahead', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let usage: ReturnType<typeof buildUsage>;
  const clock = new ManualClock('2026-11-01T00:00:00Z');

  beforeEach(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock });
    token = await createAgent(plugin.ctx);
    usage = buildUsage(plugin.ctx);
  });
  afterEach(async () => plugin?.close());

  const send = async (records: SessionObservation[]) => {
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.rejected).to.deep.equal([]);
  };
  const pending = async () =>
    Number((await plugin.ctx.db.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM usage_observations WHERE rolled_up = 0', { type: QueryTypes.SELECT }))[0]!.n);
  const total = async () =>
    BigInt((await plugin.ctx.db.sequelize.query<{ d: string | null }>('SELECT CAST(SUM(download) AS CHAR) AS d FROM usage_hourly', { type: QueryTypes.SELECT }))[0]!.d ?? '0');

  /** Session s of login `l${s % 4}` at minute m with counters growing by (s + 1) * 1000 every 5 minutes. */
  const interim = (s: number, k: number) =>
    observation({
      login: `l${s % 4}`, sessionId: `S${s}`, sessionStart: '2026-03-02T10:00:00Z',
      observedAt: new Date(Date.parse('2026-03-02T10:00:00Z') + (k + 1) * 5 * 60_000 + s * 1000).toISOString(),
      downloadOctets: String((k + 1) * (s + 1) * 1000), uploadOctets: String((k + 1) * (s + 1) * 100),
    });

  it('counts every byte once across chunks of 3 observations, with sessions cut between chunks and late interims, as a rebuild does', async () => {
    for (let l = 0; l < 4; l++) await createService(plugin.ctx, `l${l}`);
    const SESSIONS = 10;
    // Round 1: one interim each, then a second interim for the even sessions (ids interleave,
    // so a session's two pending observations can fall in different chunks).
    await send(Array.from({ length: SESSIONS }, (_, s) => interim(s, 0)));
    await send(Array.from({ length: SESSIONS }, (_, s) => s).filter((s) => s % 2 === 0).map((s) => interim(s, 1)));
    let stats = await usage.rollup.rollupPending({ chunkSessions: 3, pipeline: true });
    expect(stats.observations).to.equal(15);
    expect(await pending()).to.equal(0);

    // Round 2: two interims for every session, newest first, and a late one (between two
    // rolled-up interims) for session 1, which makes it be recomputed whole.
    await send(Array.from({ length: SESSIONS }, (_, s) => [interim(s, 3), interim(s, 2)]).flat());
    stats = await usage.rollup.rollupPending({ chunkSessions: 3, pipeline: true });
    expect(stats.chunks).to.be.greaterThan(3);
    expect(await pending()).to.equal(0);
    // Late interims (k = 1 of the odd sessions, between two rolled-up ones) with one new
    // interim of others: the late sessions are recomputed whole.
    await send([interim(1, 1), interim(2, 4), interim(3, 1), interim(5, 1), interim(4, 4), interim(9, 1)]);
    await usage.rollup.rollupPending({ chunkSessions: 2, pipeline: true });
    expect(await pending()).to.equal(0);

    // The truth: every session's counters at its latest interim (k = 3, or 4 for sessions 2 and 4), none reset.
    let truth = 0n;
    for (let s = 0; s < SESSIONS; s++) truth += BigInt((s === 2 || s === 4 ? 5 : 4) * (s + 1) * 1000);
    expect(await total()).to.equal(truth);
    const rows = await hourlyRows(plugin.ctx);
    await usage.rollup.rebuildAll();
    expect(await hourlyRows(plugin.ctx)).to.deep.equal(rows);
  });

  it('gives the same rows reading ahead as reading each chunk in its transaction', async () => {
    for (let l = 0; l < 4; l++) await createService(plugin.ctx, `l${l}`);
    const records = Array.from({ length: 12 }, (_, s) => [interim(s, 0), interim(s, 1)]).flat();
    await send(records.filter((_, i) => i % 3 !== 0));
    await send(records.filter((_, i) => i % 3 === 0));
    await usage.rollup.rollupPending({ chunkSessions: 5, pipeline: true });
    const ahead = await hourlyRows(plugin.ctx);
    // The same observations rolled up again from scratch, one chunk per transaction.
    await plugin.ctx.db.sequelize.query('DELETE FROM usage_hourly');
    await plugin.ctx.db.sequelize.query('DELETE FROM usage_session_hours');
    await plugin.ctx.db.sequelize.query('DELETE FROM usage_sessions');
    await plugin.ctx.db.sequelize.query('UPDATE usage_observations SET rolled_up = 0');
    await usage.rollup.rollupPending({ chunkSessions: 5, pipeline: false });
    expect(await hourlyRows(plugin.ctx)).to.deep.equal(ahead);
  });
});
