import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import { assignUnassignedUsage, buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';
import { anotherInstance } from './instances.js';

forEachDatabase('assigning usage to services', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let usage: ReturnType<typeof buildUsage>;
  const clock = new ManualClock('2026-01-01T00:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock, config: { billing: { timezone: 'Europe/Berlin', currency: 'EUR' } } });
    token = await createAgent(plugin.ctx);
    usage = buildUsage(plugin.ctx);
  });
  after(async () => plugin?.close());

  async function send(records: SessionObservation[]): Promise<void> {
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.rejected).to.deep.equal([]);
  }
  const obs = (login: string, sessionId: string, iso: string, down: number, extra: Partial<SessionObservation> = {}) =>
    observation({ login, sessionId, observedAt: iso, downloadOctets: String(down), uploadOctets: '0', ...extra });
  const total = async (serviceId: number, from: string, to: string) => (await usage.queries.serviceUsage(serviceId, Date.parse(from), Date.parse(to))).download;

  it('gives the new owner of a login handed over during a day only the usage from its creation on', async () => {
    clock.set('2026-01-01T08:00:00Z');
    const old = await createService(plugin.ctx, 'handed', '2026-01-01', '2026-03-10');
    clock.set('2026-03-10T13:00:00Z');
    const next = await createService(plugin.ctx, 'handed', '2026-03-10');
    clock.set('2026-11-01T00:00:00Z');
    await send([
      obs('handed', 'H1', '2026-03-10T06:00:00Z', 0), obs('handed', 'H1', '2026-03-10T12:00:00Z', 6000),
      obs('handed', 'H2', '2026-03-10T13:30:00Z', 0), obs('handed', 'H2', '2026-03-10T17:30:00Z', 4000),
    ]);
    await usage.rollup.rollupPending();
    expect(await total(old.serviceId, '2026-03-09T23:00:00Z', '2026-03-10T23:00:00Z')).to.equal(6000n);
    expect(await total(next.serviceId, '2026-03-09T23:00:00Z', '2026-03-10T23:00:00Z')).to.equal(4000n);
  });

  it('takes usage after a service\'s end date away from it when staff end it with a date in the past', async () => {
    const parts = buildSubscribers(plugin.ctx);
    const account = await parts.subscribers.createAccount({ name: 'Ended late' }, 'test');
    const service = await parts.subscribers.createService(account.id, { login: 'ended-late', startDate: '2026-03-01' }, 'test');
    await send([obs('ended-late', 'E1', '2026-03-05T10:00:00Z', 0), obs('ended-late', 'E1', '2026-03-05T10:10:00Z', 100), obs('ended-late', 'E1', '2026-03-12T10:00:00Z', 900)]);
    await usage.rollup.rollupPending();
    await parts.subscribers.endService(service.id, { endDate: '2026-03-07' }, 'test');
    expect((await total(service.id, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z')) < 900n).to.equal(true);
    const unassigned = (await usage.queries.unassigned()).find((u) => u.login === 'ended-late');
    expect(unassigned!.download + (await total(service.id, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'))).to.equal(900n);
    expect(unassigned!.firstHour.getTime()).to.be.at.least(Date.parse('2026-03-06T23:00:00Z'));
  });

  it('counts the polled half of an hour in which a subscriber moved from a polled router to a RADIUS NAS', async () => {
    const { serviceId } = await createService(plugin.ctx, 'mover');
    await send([
      obs('mover', '*7', '2026-03-03T10:00:00Z', 0, { source: 'poll', sourceName: 'core-1' }), obs('mover', '*7', '2026-03-03T10:25:00Z', 3000, { source: 'poll', sourceName: 'core-1', ended: true }),
      obs('mover', 'R7', '2026-03-03T10:30:00Z', 0), obs('mover', 'R7', '2026-03-03T10:55:00Z', 5000),
    ]);
    await usage.rollup.rollupPending();
    expect(await total(serviceId, '2026-03-03T10:00:00Z', '2026-03-03T11:00:00Z')).to.equal(8000n);
  });

  it('keeps usage adopted by a service created while a rollup of its login was under way', async () => {
    await send([obs('straddle', 'S1', '2026-03-04T10:00:00Z', 0), obs('straddle', 'S1', '2026-03-04T10:10:00Z', 1000)]);
    await usage.rollup.rollupPending();
    await send([obs('straddle', 'S1', '2026-03-04T10:20:00Z', 3000)]);
    const other = await anotherInstance(plugin.ctx, plugin.url, clock);
    let created: Promise<number> | null = null;
    const repo = usage.usage;
    const original = repo.loadSessions.bind(repo);
    repo.loadSessions = async (...args) => {
      const out = await original(...args);
      if (!created) {
        created = other.ctx.db.transaction(async (t) => {
          const { serviceId } = await createService(other.ctx, 'straddle', '2026-03-01', null, t);
          await assignUnassignedUsage(other.ctx, { login: 'straddle', serviceId }, t);
          return serviceId;
        });
        // SQLite lets one writer at a time: the creation waits for the rollup there.
        if (dialect === 'mysql') await created;
      }
      return out;
    };
    try {
      await usage.rollup.rollupPending();
      const serviceId = await created!;
      expect(await total(serviceId, '2026-03-04T00:00:00Z', '2026-03-05T00:00:00Z')).to.equal(3000n);
    } finally {
      repo.loadSessions = original;
      await other.close();
    }
  });

  it('assigns a login that could be assigned even behind more than a thousand logins that cannot', async () => {
    const d = plugin.ctx.db.dialect;
    const now = sqlTime(d, clock.now());
    const account = await plugin.ctx.models.Account.create({ name: 'Many', currency: 'EUR', status: 'active', createdAt: clock.now(), updatedAt: clock.now() });
    const accountId = Number(account.get('id'));
    const logins = Array.from({ length: 1100 }, (_, i) => `a${String(i).padStart(4, '0')}`);
    const services = logins.map((l) => [accountId, l, null, 'ended', '2026-01-01', '2026-01-31', now, now]);
    await plugin.ctx.db.sequelize.query(`INSERT INTO services (account_id, login, live_login, status, start_date, end_date, created_at, updated_at) VALUES ${valuesPlaceholders(services.length, 8)}`, { replacements: services.flat() });
    // Their usage lies outside their services' dates: they stay candidates for ever.
    const rows = logins.map((l) => [l, sqlTime(d, Date.parse('2025-06-01T10:00:00Z')), 'radius', '10', '0', now]);
    await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, source, download, upload, updated_at) VALUES ${valuesPlaceholders(rows.length, 6)}`, { replacements: rows.flat() });
    const { serviceId } = await createService(plugin.ctx, 'zz-assignable', '2026-01-01');
    await plugin.ctx.db.sequelize.query('INSERT INTO usage_hourly (login, hour_start, source, download, upload, updated_at) VALUES (?, ?, ?, ?, ?, ?)', {
      replacements: ['zz-assignable', sqlTime(d, Date.parse('2026-02-01T10:00:00Z')), 'radius', '77', '0', now],
    });
    for (let run = 0; run < 3; run++) await usage.rollup.assignPending();
    expect(await total(serviceId, '2026-02-01T00:00:00Z', '2026-02-02T00:00:00Z')).to.equal(77n);
  });
});
