import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';

/** usage.rawRetentionDays limits how long raw observations are kept, not what is counted. */
forEachDatabase('observations older than the raw retention', (dialect) => {
  let plugin: TestPlugin;
  const clock = new ManualClock('2026-03-20T00:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock, config: { usage: { rawRetentionDays: 7 } } as never });
  });
  after(async () => plugin?.close());

  const o = (login: string, sid: string, iso: string, down: number) => observation({ login, sessionId: sid, observedAt: iso, downloadOctets: String(down), uploadOctets: '0' });
  const march = async (usage: ReturnType<typeof buildUsage>, serviceId: number) =>
    (await usage.queries.serviceUsage(serviceId, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-04-01T00:00:00Z'))).download;

  it('counts observations that arrive more than rawRetentionDays after they were made (an agent offline for long)', async () => {
    const token = await createAgent(plugin.ctx, 'pop-late');
    const usage = buildUsage(plugin.ctx);
    const { serviceId } = await createService(plugin.ctx, 'offline');
    await postBatch(plugin.app, token, batch([o('offline', 'O1', '2026-03-02T10:00:00Z', 0), o('offline', 'O1', '2026-03-02T10:30:00Z', 5000)])).expect(200);
    await usage.jobs.run('prune');
    expect(await march(usage, serviceId)).to.equal(5000n);
  });

  it('adds nothing for a late observation that sorts before where its session was pruned: the later counters hold its bytes', async () => {
    const token = await createAgent(plugin.ctx, 'pop-pruned');
    const usage = buildUsage(plugin.ctx);
    const { serviceId } = await createService(plugin.ctx, 'pruned-late');
    await postBatch(plugin.app, token, batch([o('pruned-late', 'P1', '2026-03-05T10:00:00Z', 0), o('pruned-late', 'P1', '2026-03-05T11:00:00Z', 8000), o('pruned-late', 'P1', '2026-03-19T10:00:00Z', 9000)])).expect(200);
    await usage.jobs.run('prune');
    await postBatch(plugin.app, token, batch([o('pruned-late', 'P1', '2026-03-05T10:30:00Z', 4000)])).expect(200);
    await usage.jobs.run('rollup');
    expect(await march(usage, serviceId)).to.equal(9000n);
    const [row] = (await plugin.ctx.db.sequelize.query("SELECT ignored_late AS n FROM usage_sessions WHERE login = 'pruned-late'"))[0] as Array<{ n: number }>;
    expect(Number(row!.n)).to.equal(1);
  });
});
