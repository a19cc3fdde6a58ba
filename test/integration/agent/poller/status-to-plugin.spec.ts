import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import request from 'supertest';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { createPollers } from '../../../../agent/poller/poller.js';
import { PluginClient } from '../../../../agent/shipper/plugin-client.js';
import { startSimulator } from '../../../../agent/simulator/index.js';
import { StatusReporter } from '../../../../agent/status/reporter.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { networkModule } from '../../../../plugin/network/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createAgent } from '../../plugin/usage/fixtures.js';

/**
 * Issue 12, item 24, end to end over HTTP: a wrong router password used to be visible only in
 * the agent's own /healthz; the agent's status reporter now puts it in the plugin's panel.
 */
forEachDatabase('router state from the agent in the plugin', (dialect) => {
  let plugin: TestPlugin;
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [networkModule, ingestModule], clock });
  });
  after(async () => plugin?.close());

  it('shows a router with a wrong password as down, with the router’s reason, on the plugin', async function () {
    this.timeout(30_000);
    const token = await createAgent(plugin.ctx, 'pop-south');
    const server = plugin.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const sim = await startSimulator({ clock, users: [{ name: 'octet', password: 'pw' }] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'octet-status-e2e-'));
    const pollers = createPollers({
      routers: [routerConfigSchema.parse({ name: 'bras9', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'not-the-password', timeoutSeconds: 5 })],
      sink: { append: async () => undefined },
      stateDir: dir,
      clock,
      logger: nullLogger,
      registry: new Registry(),
    });
    const client = new PluginClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, timeoutMs: 5000 });
    const reporter = new StatusReporter({
      facts: () => ({
        version: '0.1.0',
        spool: { depth: 0, bytes: 0, maxBytes: 1, lagMs: 0 },
        shipper: { lastAckAt: null, lastError: null },
        routers: pollers.status().map((r) => ({ ...r, errors: r.errors ?? 0, completeThrough: null })),
      }),
      post: (report, signal) => client.postStatus(report, signal),
      clock,
      logger: nullLogger,
    });
    try {
      await pollers.pollNow('bras9');
      await reporter.sendNow();
      const api = await plugin.ctx.services.auth.createApiToken({ name: `noc-${dialect}`, role: 'readonly' }, 'test');
      const res = await request(plugin.app).get('/api/v1/network').set('Authorization', `Bearer ${api.token}`).expect(200);
      const bras9 = res.body.sources.find((s: { name: string }) => s.name === 'bras9');
      expect(bras9).to.include({ agent: 'pop-south', state: 'down', errors: 1 });
      expect(bras9.reason).to.include('invalid user name or password');
    } finally {
      await reporter.stop();
      await pollers.stop();
      await sim.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
