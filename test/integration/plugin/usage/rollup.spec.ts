import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { assignUnassignedUsage, buildUsage, createUsageQueries, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, count, createAgent, createService, hourlyRows, observation, postBatch } from './fixtures.js';

const H = 3_600_000;

forEachDatabase('usage rollup', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let usage: ReturnType<typeof buildUsage>;
  const clock = new ManualClock('2026-11-01T00:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock, config: { billing: { timezone: 'Europe/Berlin', currency: 'EUR' } } });
    token = await createAgent(plugin.ctx);
    usage = buildUsage(plugin.ctx);
  });
  after(async () => plugin?.close());
  afterEach(() => clock.set('2026-11-01T00:00:00Z'));

  async function send(records: SessionObservation[]): Promise<void> {
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.rejected).to.deep.equal([]);
  }
  const at = (iso: string, download: number | bigint, extra: Partial<SessionObservation> = {}) =>
    observation({ observedAt: iso, downloadOctets: String(download), uploadOctets: String(BigInt(download) / 10n), ...extra });

  async function serviceHours(serviceId: number, fromIso: string, hours: number): Promise<Array<[string, string]>> {
    const rows = (await usage.queries.serviceUsage(serviceId, Date.parse(fromIso), Date.parse(fromIso) + hours * H)).hours;
    return rows.map((r) => [new Date(r.hourMs).toISOString().slice(11, 16), r.download.toString()]);
  }

  describe('a session with a service', () => {
    let serviceId: number;
    const alice = (iso: string, d: number, extra: Partial<SessionObservation> = {}) => at(iso, d, { login: 'alice', sessionId: 'A1', sessionStart: '2026-03-02T09:30:00Z', ...extra });

    before(async () => {
      ({ serviceId } = await createService(plugin.ctx, 'alice'));
      await send([alice('2026-03-02T10:00:00Z', 600), alice('2026-03-02T10:30:00Z', 900), alice('2026-03-02T11:15:00Z', 1800)]);
      await usage.rollup.rollupPending();
    });

    it('turns counter deltas into usage per hour, splitting across the hour by time', async () => {
      // 09:30-10:00: 600; 10:00-10:30: 300; 10:30-11:15: 900, of which 30/45 in hour 10.
      expect(await serviceHours(serviceId, '2026-03-02T09:00:00Z', 4)).to.deep.equal([['09:00', '600'], ['10:00', '900'], ['11:00', '300']]);
    });

    it('adds nothing for repeats in new records and places a late observation by its time', async () => {
      const before = await serviceHours(serviceId, '2026-03-02T09:00:00Z', 4);
      await send([alice('2026-03-02T10:30:00Z', 900), alice('2026-03-02T11:15:00Z', 1800), alice('2026-03-02T10:15:00Z', 750)]);
      await usage.rollup.rollupPending();
      expect(await serviceHours(serviceId, '2026-03-02T09:00:00Z', 4)).to.deep.equal(before);
    });

    it('counts a counter that went down as a new segment from zero', async () => {
      await send([alice('2026-03-02T12:00:00Z', 100)]);
      await usage.rollup.rollupPending();
      const total = (await usage.queries.serviceUsage(serviceId, Date.parse('2026-03-02T00:00:00Z'), Date.parse('2026-03-03T00:00:00Z'))).download;
      expect(total).to.equal(1900n);
    });

    it('keeps one row per session with its latest counters', async () => {
      const [rows] = await plugin.ctx.db.sequelize.query("SELECT CAST(last_download AS CHAR) AS d, ended FROM usage_sessions WHERE login = 'alice'");
      expect(rows).to.have.length(1);
      expect((rows as Array<{ d: string }>)[0]!.d).to.equal('100');
    });

    it('gives identical rows when the rollup runs again or everything is rebuilt', async () => {
      const before = await hourlyRows(plugin.ctx);
      await usage.rollup.rollupPending();
      expect(await hourlyRows(plugin.ctx)).to.deep.equal(before);
      await usage.rollup.rebuildAll({ chunkSessions: 2 });
      expect(await hourlyRows(plugin.ctx)).to.deep.equal(before);
    });
  });

  it('counts a session seen by RADIUS and by polling once, from RADIUS', async () => {
    const { serviceId } = await createService(plugin.ctx, 'both');
    const common = { login: 'both', sessionStart: null };
    await send([
      at('2026-03-03T10:05:00Z', 0, { ...common, sessionId: 'R1' }),
      at('2026-03-03T10:35:00Z', 5000, { ...common, sessionId: 'R1' }),
      at('2026-03-03T10:06:00Z', 0, { ...common, sessionId: '*1A', source: 'poll', sourceName: 'core-1' }),
      at('2026-03-03T10:36:00Z', 5100, { ...common, sessionId: '*1A', source: 'poll', sourceName: 'core-1' }),
    ]);
    await usage.rollup.rollupPending();
    expect(await serviceHours(serviceId, '2026-03-03T10:00:00Z', 1)).to.deep.equal([['10:00', '5000']]);
  });

  describe('unassigned usage', () => {
    it('keeps usage of a login no service has, lists it, and assigns it when the service is created', async () => {
      await send([at('2026-03-04T10:00:00Z', 0, { login: 'zoe', sessionId: 'Z1' }), at('2026-03-04T10:20:00Z', 4000, { login: 'zoe', sessionId: 'Z1' })]);
      await usage.rollup.rollupPending();
      expect((await usage.queries.unassigned()).map((u) => [u.login, u.download])).to.deep.include(['zoe', 4000n]);
      const assigned = await plugin.ctx.db.transaction(async (t) => {
        const { serviceId } = await createService(plugin.ctx, 'zoe', '2026-03-01', null, t);
        const r = await assignUnassignedUsage(plugin.ctx, { login: 'zoe', serviceId }, t);
        return { ...r, serviceId };
      });
      expect(assigned.hours).to.equal(2); // 10:00-10:20: two 15-minute buckets
      expect((await usage.queries.unassigned()).map((u) => u.login)).not.to.include('zoe');
      expect((await usage.queries.serviceUsage(assigned.serviceId, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'))).download).to.equal(4000n);
    });

    it('is assigned by the rollup itself when a service appears without the call', async () => {
      await send([at('2026-03-05T10:00:00Z', 0, { login: 'yann', sessionId: 'Y1' }), at('2026-03-05T10:20:00Z', 700, { login: 'yann', sessionId: 'Y1' })]);
      await usage.rollup.rollupPending();
      const { serviceId } = await createService(plugin.ctx, 'yann', '2026-03-05');
      expect(await usage.rollup.assignPending()).to.equal(2); // two 15-minute buckets
      expect((await usage.queries.serviceUsage(serviceId, Date.parse('2026-03-05T00:00:00Z'), Date.parse('2026-03-06T00:00:00Z'))).download).to.equal(700n);
    });

    it('leaves usage from before the service started unassigned (dates in the ISP time zone)', async () => {
      // The hour from 22:00 UTC on 5 March is 23:00-24:00 in Berlin: still before a service starting 6 March.
      const x = (iso: string, d: number) => at(iso, d, { login: 'xena', sessionId: 'X1' });
      await send([x('2026-03-05T22:10:00Z', 0), x('2026-03-05T22:50:00Z', 300), x('2026-03-05T23:00:00Z', 400), x('2026-03-05T23:40:00Z', 600)]);
      await usage.rollup.rollupPending();
      const { serviceId } = await createService(plugin.ctx, 'xena', '2026-03-06');
      await usage.rollup.assignPending();
      expect((await usage.queries.serviceUsage(serviceId, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'))).download).to.equal(200n);
      expect((await usage.queries.unassigned()).find((u) => u.login === 'xena')?.download).to.equal(400n);
    });
  });

  describe('a DST-crossing day (Europe/Berlin)', () => {
    async function halfHourly(login: string, fromIso: string, steps: number): Promise<{ accountId: number }> {
      const created = await createService(plugin.ctx, login);
      const start = Date.parse(fromIso);
      const records = Array.from({ length: steps + 1 }, (_, i) => at(new Date(start + i * 30 * 60_000).toISOString(), i * 1000, { login, sessionId: `${login}-1` }));
      await send(records);
      await usage.rollup.rollupPending();
      return created;
    }

    it('has 23 hours on the spring-forward day and bills exactly its usage', async () => {
      const { accountId } = await halfHourly('spring', '2026-03-28T22:00:00Z', 52);
      const q = createUsageQueries(plugin.ctx);
      const u = await q.accountUsage(accountId, Date.parse('2026-03-28T23:00:00Z'), Date.parse('2026-03-29T22:00:00Z'));
      expect(u.days.map((d) => [d.date, d.hours, d.download])).to.deep.equal([['2026-03-29', 23, 46_000n]]);
    });

    it('has 25 hours on the fall-back day and bills exactly its usage', async () => {
      const { accountId } = await halfHourly('autumn', '2026-10-24T21:00:00Z', 56);
      const u = await createUsageQueries(plugin.ctx).accountUsage(accountId, Date.parse('2026-10-24T22:00:00Z'), Date.parse('2026-10-25T23:00:00Z'));
      expect(u.days.map((d) => [d.date, d.hours, d.download])).to.deep.equal([['2026-10-25', 25, 50_000n]]);
    });
  });

  describe('retention', () => {
    it('prunes rolled-up raw observations without changing hourly usage, and later ones continue from where they stopped', async () => {
      const { serviceId } = await createService(plugin.ctx, 'pruned');
      const p = (iso: string, d: number) => at(iso, d, { login: 'pruned', sessionId: 'P1' });
      await send([p('2026-03-10T10:00:00Z', 0), p('2026-03-10T10:40:00Z', 2000), p('2026-03-10T11:20:00Z', 4000), p('2026-03-20T10:00:00Z', 5000)]);
      await usage.rollup.rollupPending();
      const before = await hourlyRows(plugin.ctx);
      const raw = await count(plugin.ctx, 'usage_observations');
      clock.set('2026-03-20T00:00:00Z');
      const stats = await usage.prune.prune(7);
      expect(stats.observations).to.be.greaterThan(0);
      expect(await count(plugin.ctx, 'usage_observations')).to.be.lessThan(raw);
      expect(await hourlyRows(plugin.ctx)).to.deep.equal(before);
      await usage.rollup.rebuildAll();
      expect(await hourlyRows(plugin.ctx)).to.deep.equal(before);
      clock.set('2026-11-01T00:00:00Z');
      await send([p('2026-03-20T10:30:00Z', 5500)]);
      await usage.rollup.rollupPending();
      expect((await usage.queries.serviceUsage(serviceId, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'))).download).to.equal(5500n);
    });
  });

  it('gives the same rows from rollups after each of many out-of-order batches as from one full rebuild', async () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const records: SessionObservation[] = [];
    for (let s = 0; s < 6; s++) {
      let down = BigInt(rand(1000)) * (1n << 30n);
      for (let k = 0; k < 20; k++) {
        down = k === 10 && s % 2 === 0 ? BigInt(rand(5000)) : down + BigInt(rand(50_000_000));
        const rec = at(new Date(Date.UTC(2026, 1, 12, 8) + k * 17 * 60_000 + s * 1000).toISOString(), down, { login: `mix${s % 3}`, sessionId: `M${s}`, source: s < 3 ? 'radius' : 'poll', sourceName: s < 3 ? 'nas-1' : 'core-1' });
        records.push(rec);
        if (rand(4) === 0) records.push({ ...rec, recordId: `${rec.recordId}-again` });
      }
    }
    for (let i = records.length - 1; i > 0; i--) {
      const j = rand(i + 1);
      [records[i], records[j]] = [records[j]!, records[i]!];
    }
    for (let i = 0; i < records.length; i += 25) {
      await send(records.slice(i, i + 25));
      await usage.rollup.rollupPending({ chunkSessions: 4 });
    }
    const incremental = await hourlyRows(plugin.ctx);
    await usage.rollup.rebuildAll();
    expect(await hourlyRows(plugin.ctx)).to.deep.equal(incremental);
  });

  it('lists live sessions per router', async () => {
    clock.set('2026-03-06T10:10:00Z');
    await send([
      at('2026-03-06T10:00:00Z', 10, { login: 'live1', sessionId: 'L1', sourceName: 'nas-a', framedIp: '10.0.0.5' }),
      at('2026-03-06T10:00:00Z', 10, { login: 'gone', sessionId: 'L2', sourceName: 'nas-a', ended: true }),
      at('2026-03-06T09:00:00Z', 10, { login: 'stale', sessionId: 'L3', sourceName: 'nas-b' }),
    ]);
    await usage.rollup.rollupPending();
    const live = await usage.queries.liveSessions();
    expect(live.map((s) => [s.sourceName, s.login, s.framedIp])).to.deep.equal([['nas-a', 'live1', '10.0.0.5']]);
  });
});
