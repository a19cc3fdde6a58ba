import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { PluginClient } from '../../../../agent/shipper/plugin-client.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { buildIngest, ingestModule } from '../../../../plugin/ingest/index.js';
import { usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, observation } from '../usage/fixtures.js';

/** The contract from the other side: the agent's own HTTP client against the plugin, over loopback. */
forEachDatabase('agent shipper client against the agent API', (dialect) => {
  let plugin: TestPlugin;
  let server: Server;
  let url: string;
  let token: string;
  const signal = new AbortController().signal;

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: new ManualClock('2026-03-02T00:00:00Z') });
    token = await createAgent(plugin.ctx, 'pop-client');
    server = await new Promise<Server>((resolve) => {
      const s = plugin.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await plugin?.close();
  });

  it('gets an acknowledgement it accepts for a batch, and a duplicate one for the same batch again', async () => {
    const client = new PluginClient({ url, token, timeoutMs: 10_000 });
    const b = batch([observation({ observedAt: '2026-03-01T10:00:00Z', downloadOctets: '42' })]);
    const first = await client.postBatch(b, signal);
    expect(first).to.deep.equal({ kind: 'ok', value: { batchId: b.batchId, duplicateBatch: false, accepted: 1, duplicateRecords: 0, rejected: [] } });
    const again = await client.postBatch(b, signal);
    expect(again).to.deep.equal({ kind: 'ok', value: { batchId: b.batchId, duplicateBatch: true, accepted: 0, duplicateRecords: 0, rejected: [] } });
  });

  it('delivers an inventory snapshot', async () => {
    const client = new PluginClient({ url, token, timeoutMs: 10_000 });
    const res = await client.postInventory({ routerName: 'core-9', takenAt: '2026-03-01T10:00:00Z', entries: [{ kind: 'hotspot', name: 'guest1', disabled: true }] }, signal);
    expect(res).to.deep.equal({ kind: 'ok', value: undefined });
  });

  it('is told "unauthorized" once its agent is revoked', async () => {
    const revoked = await createAgent(plugin.ctx, 'pop-gone');
    await buildIngest(plugin.ctx).agents.revoke('pop-gone', 'test');
    const client = new PluginClient({ url, token: revoked, timeoutMs: 10_000 });
    expect(await client.postBatch(batch([observation()]), signal)).to.deep.equal({ kind: 'unauthorized', status: 401 });
  });
});
