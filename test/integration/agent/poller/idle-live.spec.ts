import { expect } from 'chai';
import { decidePoll, emptyState, type SessionKind } from '../../../../agent/poller/decide.js';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, postBatch } from '../../plugin/usage/fixtures.js';

/**
 * Issue 12, item 19: an idle but connected subscriber vanished from Live sessions after the
 * plugin's liveWindowMinutes (30 by default), because the poller reported only changed counters.
 */
forEachDatabase('an idle polled session on the plugin', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  const clock = new ManualClock('2026-03-02T10:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock, config: { billing: { timezone: 'UTC', currency: 'EUR' } } });
    token = await createAgent(plugin.ctx);
  });
  after(async () => plugin?.close());

  it('stays in Live sessions for hours without traffic, and its bytes stay what they were', async () => {
    const usage = buildUsage(plugin.ctx);
    const { serviceId } = await createService(plugin.ctx, 'idle-ida');
    const router = routerConfigSchema.parse({ name: 'bras1', host: 'h', username: 'u', password: 'p' });
    const t0 = Date.parse('2026-03-02T10:00:00Z');
    let state = emptyState();
    let ids = 0;
    // Traffic in the first minute, then three hours idle; polled every minute.
    for (let minute = 0; minute <= 180; minute++) {
      const at = t0 + minute * 60_000;
      const moved = BigInt(Math.min(minute, 1));
      const out = decidePoll(state, {
        routerName: 'bras1',
        observedAt: new Date(at),
        routerUptimeSeconds: 86_400 + minute * 60,
        rows: [{ kind: 'ppp', itemId: '*80000001', login: 'idle-ida', uptimeSeconds: 600 + minute * 60, download: 4000n + moved * 1000n, upload: 400n + moved * 100n }],
        kinds: new Set<SessionKind>(['ppp']),
        newRecordId: () => `idle-${++ids}`,
        reportUnchangedAfterMs: router.reportUnchangedEverySeconds * 1000,
      });
      state = out.state;
      const records: SessionObservation[] = out.observations;
      if (records.length > 0) await postBatch(plugin.app, token, batch(records)).expect(200);
      clock.set(new Date(at));
      if (minute % 30 === 0) {
        await usage.rollup.rollupPending();
        const live = await usage.queries.liveSessions({ sourceName: 'bras1' });
        expect(live.map((s) => s.login), `live at minute ${minute}`).to.deep.equal(['idle-ida']);
      }
    }
    const total = await usage.queries.serviceUsage(serviceId, t0 - 3_600_000, t0 + 4 * 3_600_000);
    expect(total.hours.reduce((n, h) => n + h.download, 0n)).to.equal(5000n);
    expect(total.hours.reduce((n, h) => n + h.upload, 0n)).to.equal(500n);
  });
});
