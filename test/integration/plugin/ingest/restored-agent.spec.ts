import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, count, createAgent, observation, postBatch } from '../usage/fixtures.js';

/** The download counters stored for a login, in the order they were observed. */
async function downloadsOf(plugin: TestPlugin, login: string): Promise<string[]> {
  const [rows] = await plugin.ctx.db.sequelize.query('SELECT download FROM usage_observations WHERE login = ? ORDER BY observed_at', { replacements: [login] });
  return (rows as Array<{ download: string | number }>).map((r) => String(r.download));
}

forEachDatabase('an agent restored from a VM snapshot', (dialect) => {
  let plugin: TestPlugin;
  let token: string;

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: new ManualClock('2026-03-02T00:00:00Z') });
    token = await createAgent(plugin.ctx);
  });
  after(async () => plugin?.close());

  it('stores the new records of a batch whose id the agent used before for other records', async () => {
    const first = batch([observation({ login: 'rita', sessionId: 'R1', observedAt: '2026-03-01T10:00:00Z', downloadOctets: '1000' })], 'spool1-1-1');
    const again = batch([observation({ login: 'rita', sessionId: 'R1', observedAt: '2026-03-01T10:05:00Z', downloadOctets: '5000' })], 'spool1-1-1');
    await postBatch(plugin.app, token, first).expect(200);
    const res = await postBatch(plugin.app, token, again).expect(200);
    expect(res.body).to.include({ duplicateBatch: false, accepted: 1, duplicateRecords: 0 });
    expect(await downloadsOf(plugin, 'rita')).to.deep.equal(['1000', '5000']);
  });

  it('still acknowledges the same batch re-sent (same id, same records) without storing it twice', async () => {
    const body = batch([observation({ login: 'sam', observedAt: '2026-03-01T10:00:00Z', downloadOctets: '700' })], 'spool1-2-2');
    await postBatch(plugin.app, token, body).expect(200);
    const before = await count(plugin.ctx, 'usage_observations');
    const res = await postBatch(plugin.app, token, body).expect(200);
    expect(res.body).to.include({ duplicateBatch: true, accepted: 0 });
    expect(await count(plugin.ctx, 'usage_observations')).to.equal(before);
  });

  it('stores a record whose id was used before for other counters instead of dropping it as a duplicate', async () => {
    const reused = 'record-reused-after-restore';
    await postBatch(plugin.app, token, batch([observation({ recordId: reused, login: 'tess', sessionId: 'T1', observedAt: '2026-03-01T10:00:00Z', downloadOctets: '2000' })])).expect(200);
    const res = await postBatch(plugin.app, token, batch([observation({ recordId: reused, login: 'tess', sessionId: 'T1', observedAt: '2026-03-01T10:10:00Z', downloadOctets: '9000' })])).expect(200);
    expect(res.body).to.include({ accepted: 1, duplicateRecords: 0 });
    expect(await downloadsOf(plugin, 'tess')).to.deep.equal(['2000', '9000']);
  });

  it('counts a reused record id re-sent with the same other counters once, as a duplicate the second time', async () => {
    const reused = 'record-reused-twice';
    const later = () => observation({ recordId: reused, login: 'uma', sessionId: 'U1', observedAt: '2026-03-01T11:00:00Z', downloadOctets: '4000' });
    await postBatch(plugin.app, token, batch([observation({ recordId: reused, login: 'uma', sessionId: 'U1', observedAt: '2026-03-01T10:00:00Z', downloadOctets: '100' })])).expect(200);
    await postBatch(plugin.app, token, batch([later()])).expect(200);
    const res = await postBatch(plugin.app, token, batch([later()])).expect(200);
    expect(res.body).to.include({ accepted: 0, duplicateRecords: 1 });
    expect(await downloadsOf(plugin, 'uma')).to.deep.equal(['100', '4000']);
  });

  it('bills the restored agent\'s new counters: the session\'s hourly usage reaches its last counter', async () => {
    await postBatch(plugin.app, token, batch([observation({ login: 'vic', sessionId: 'V1', observedAt: '2026-03-01T10:00:00Z', downloadOctets: '3000' })], 'spool1-9-9')).expect(200);
    await postBatch(plugin.app, token, batch([observation({ login: 'vic', sessionId: 'V1', observedAt: '2026-03-01T10:20:00Z', downloadOctets: '8000' })], 'spool1-9-9')).expect(200);
    const { buildUsage } = await import('../../../../plugin/usage/index.js');
    await buildUsage(plugin.ctx).rollup.rollupPending();
    const [rows] = await plugin.ctx.db.sequelize.query("SELECT SUM(download) AS d FROM usage_hourly WHERE login = 'vic'");
    expect(String((rows as Array<{ d: string | number }>)[0]!.d)).to.equal('8000');
  });
});
