import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';

forEachDatabase('closes the agent made up', (dialect) => {
  let plugin: TestPlugin;

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: new ManualClock('2026-11-01T00:00:00Z') });
  });
  after(async () => plugin?.close());

  it('never counts a made-up close with older counters as a new session, also after a rebuild', async () => {
    const token = await createAgent(plugin.ctx);
    const usage = buildUsage(plugin.ctx);
    const { serviceId } = await createService(plugin.ctx, 'nasboot');
    const o = (iso: string, down: number, extra = {}) => observation({ login: 'nasboot', sessionId: 'N1', observedAt: iso, downloadOctets: String(down), uploadOctets: '0', ...extra });
    await postBatch(plugin.app, token, batch([o('2026-03-02T10:00:00Z', 0), o('2026-03-02T10:05:00Z', 4000), o('2026-03-02T10:10:00Z', 9000)])).expect(200);
    await usage.rollup.rollupPending();
    // The NAS rebooted (Accounting-On); the agent closes the session with the counters it had
    // from an interim that reached it late.
    await postBatch(plugin.app, token, batch([o('2026-03-02T10:12:00Z', 4000, { ended: true, synthetic: true })])).expect(200);
    await usage.rollup.rollupPending();
    const day = async () => (await usage.queries.serviceUsage(serviceId, Date.parse('2026-03-02T00:00:00Z'), Date.parse('2026-03-03T00:00:00Z'))).download;
    expect(await day()).to.equal(9000n);
    await usage.rollup.rebuildAll();
    expect(await day()).to.equal(9000n);
  });
});
