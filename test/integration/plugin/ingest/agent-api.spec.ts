import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { buildIngest, ingestModule } from '../../../../plugin/ingest/index.js';
import { usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, count, createAgent, observation, postBatch } from '../usage/fixtures.js';

forEachDatabase('agent API ingest', (dialect) => {
  let plugin: TestPlugin;
  let token: string;

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: new ManualClock('2026-03-02T00:00:00Z') });
    token = await createAgent(plugin.ctx);
  });
  after(async () => plugin?.close());

  it('accepts a batch and acknowledges how many records it stored', async () => {
    const body = batch([observation({ downloadOctets: '100' }), observation({ downloadOctets: '200', observedAt: '2026-03-01T10:05:00Z' })]);
    const before = await count(plugin.ctx, 'usage_observations');
    const res = await postBatch(plugin.app, token, body).expect(200);
    expect(res.body).to.deep.equal({ batchId: body.batchId, duplicateBatch: false, accepted: 2, duplicateRecords: 0, rejected: [] });
    expect(await count(plugin.ctx, 'usage_observations')).to.equal(before + 2);
  });

  it('acknowledges a repeated batch as a duplicate and changes nothing', async () => {
    const body = batch([observation({ login: 'bob' }), observation({ login: 'bob', observedAt: '2026-03-01T10:01:00Z' })]);
    await postBatch(plugin.app, token, body).expect(200);
    const observations = await count(plugin.ctx, 'usage_observations');
    const batches = await count(plugin.ctx, 'ingest_batches');
    const res = await postBatch(plugin.app, token, body).expect(200);
    expect(res.body).to.deep.equal({ batchId: body.batchId, duplicateBatch: true, accepted: 0, duplicateRecords: 0, rejected: [] });
    expect(await count(plugin.ctx, 'usage_observations')).to.equal(observations);
    expect(await count(plugin.ctx, 'ingest_batches')).to.equal(batches);
  });

  it('counts records already received in another batch as duplicates, not again', async () => {
    const records = [observation({ login: 'carol' }), observation({ login: 'carol', observedAt: '2026-03-01T10:02:00Z' })];
    await postBatch(plugin.app, token, batch(records)).expect(200);
    const observations = await count(plugin.ctx, 'usage_observations');
    const res = await postBatch(plugin.app, token, batch([...records, observation({ login: 'carol', observedAt: '2026-03-01T10:03:00Z' })])).expect(200);
    expect(res.body).to.include({ duplicateBatch: false, accepted: 1, duplicateRecords: 2 });
    expect(await count(plugin.ctx, 'usage_observations')).to.equal(observations + 1);
  });

  it('quarantines an invalid record with its reason and raw JSON, and accepts the rest', async () => {
    const bad = { ...observation({ login: 'dave' }), downloadOctets: '12.5' };
    const body = batch([observation({ login: 'dave' }), bad]);
    const res = await postBatch(plugin.app, token, body).expect(200);
    expect(res.body.accepted).to.equal(1);
    expect(res.body.rejected).to.have.length(1);
    expect(res.body.rejected[0]).to.include({ recordId: bad.recordId, index: 1 });
    expect(res.body.rejected[0].reason).to.match(/^downloadOctets: /);
    const kept = await plugin.ctx.models.QuarantinedRecord.findAll({ where: { batchId: body.batchId } });
    expect(kept).to.have.length(1);
    expect(kept[0]!.get('reason')).to.equal(res.body.rejected[0].reason);
    expect(JSON.parse(String(kept[0]!.get('raw')))).to.deep.equal(bad);
  });

  it('answers a malformed envelope with 400 and a clear message, recording nothing', async () => {
    const before = await count(plugin.ctx, 'ingest_batches');
    const res = await postBatch(plugin.app, token, { batchId: 'x', records: [] }).expect(400);
    expect(res.body.error.message).to.match(/^malformed batch: /);
    expect(res.body.error.message).to.contain('sentAt');
    await request(plugin.app).post('/api/v1/agent/batches').set('Authorization', `Bearer ${token}`).type('json').send('{"batchId":').expect(400);
    expect(await count(plugin.ctx, 'ingest_batches')).to.equal(before);
  });

  it('takes a batch of 10,000 records in one request', async () => {
    const records = Array.from({ length: 10_000 }, (_, i) =>
      observation({ login: `bulk-${i % 100}`, sessionId: `B${i % 100}`, observedAt: new Date(Date.UTC(2026, 2, 1, 10) + i * 1000).toISOString(), downloadOctets: String(i * 1000) }),
    );
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body).to.include({ accepted: 10_000, duplicateRecords: 0 });
  });

  describe('tokens', () => {
    const records = () => batch([observation({ login: 'mallory' })]);

    it('rejects a request without a token with 401 and records nothing', async () => {
      const before = await count(plugin.ctx, 'ingest_batches');
      const res = await postBatch(plugin.app, null, records()).expect(401);
      expect(res.body.error.message).to.match(/missing agent token/);
      expect(await count(plugin.ctx, 'ingest_batches')).to.equal(before);
    });

    it('rejects a wrong token with 401 and records nothing', async () => {
      const before = await count(plugin.ctx, 'usage_observations');
      await postBatch(plugin.app, `${token}x`, records()).expect(401);
      expect(await count(plugin.ctx, 'usage_observations')).to.equal(before);
    });

    it('rejects a staff API token: the agent API takes agent tokens only', async () => {
      const staff = await plugin.ctx.services.auth.createApiToken({ name: 'ops', role: 'admin' }, 'test');
      await postBatch(plugin.app, staff.token, records()).expect(401);
    });

    it('rejects a revoked agent\'s token with 401 and records nothing', async () => {
      const revoked = await createAgent(plugin.ctx, 'pop-old');
      await postBatch(plugin.app, revoked, records()).expect(200);
      await postBatch(plugin.app, revoked, batch([observation({ login: 'mallory', observedAt: '2026-03-01T10:09:00Z' })])).expect(200);
      const [obs, batches, quarantine] = [await count(plugin.ctx, 'usage_observations'), await count(plugin.ctx, 'ingest_batches'), await count(plugin.ctx, 'ingest_quarantine')];
      await buildIngest(plugin.ctx).agents.revoke('pop-old', 'test');
      await postBatch(plugin.app, revoked, batch([observation({ login: 'mallory' }), { nonsense: true }])).expect(401);
      expect([await count(plugin.ctx, 'usage_observations'), await count(plugin.ctx, 'ingest_batches'), await count(plugin.ctx, 'ingest_quarantine')]).to.deep.equal([obs, batches, quarantine]);
    });
  });

  describe('inventory', () => {
    const snapshot = (takenAt: string, names: string[]) => ({
      routerName: 'core-1',
      takenAt,
      entries: names.map((name) => ({ kind: 'ppp', name, disabled: false, profile: 'default' })),
    });

    it('stores the latest snapshot per router, replacing the previous one', async () => {
      const post = (body: unknown) => request(plugin.app).post('/api/v1/agent/inventory').set('Authorization', `Bearer ${token}`).send(body as object);
      await post(snapshot('2026-03-01T10:00:00Z', ['alice', 'bob'])).expect(204);
      await post(snapshot('2026-03-01T11:00:00Z', ['bob', 'erin'])).expect(204);
      const names = (await plugin.ctx.models.RouterInventoryEntry.findAll({ where: { routerName: 'core-1' } })).map((r) => String(r.get('name'))).sort();
      expect(names).to.deep.equal(['bob', 'erin']);
    });

    it('ignores an older snapshot that arrives late', async () => {
      const post = (body: unknown) => request(plugin.app).post('/api/v1/agent/inventory').set('Authorization', `Bearer ${token}`).send(body as object);
      await post(snapshot('2026-03-01T09:00:00Z', ['zed'])).expect(204);
      const names = (await plugin.ctx.models.RouterInventoryEntry.findAll({ where: { routerName: 'core-1' } })).map((r) => String(r.get('name'))).sort();
      expect(names).to.deep.equal(['bob', 'erin']);
    });

    it('rejects an inventory without a valid token with 401', async () => {
      await request(plugin.app).post('/api/v1/agent/inventory').send(snapshot('2026-03-01T12:00:00Z', ['x'])).expect(401);
    });
  });
});
