import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { enforcementConfigSchema } from '../../../../agent/enforcer/config.js';
import { createEnforcer } from '../../../../agent/enforcer/index.js';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { connectRouter } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { ManualClock, systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { AGENT_API_PREFIX } from '../../../../plugin/common/wire.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { until } from '../../../support/enforcer/fake-plugin.js';
import { listen, serviceOn, statusReport } from '../../../integration/plugin/enforcement/helpers.js';
import { createAgent } from '../../../integration/plugin/usage/fixtures.js';

/**
 * The whole path with the real plugin (P4's agent API over HTTP, SQLite), the agent's enforcer and
 * the RouterOS simulator: staff or dunning set a desired state in the plugin; the router follows;
 * the plugin records what was applied, with the version.
 */
describe('enforcement from the plugin to the router, end to end', function () {
  this.timeout(60_000);
  let plugin: TestPlugin;
  let server: { base: string; close(): Promise<void> };
  let sim: Simulator;
  let dir: string;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const cause = (kind: 'dunning' | 'payment') => ({ kind, detail: kind === 'dunning' ? 'invoice 2026-0007 overdue' : 'paid in full', actor: `system:${kind}` });

  before(async () => {
    plugin = await createTestPlugin('sqlite', { clock, config: { enforcement: { streamPollSeconds: 0.3, fairUse: { enabled: false } } } });
    server = await listen(plugin.app);
  });
  after(async () => {
    await server?.close();
    await plugin?.close();
  });
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-e2e-'));
    sim = await startSimulator({ users: [{ name: 'octet', password: 'pw' }] });
    sim.model.addSecret('alice', { password: 'x' });
    sim.model.connect('alice', { address: '10.0.0.2' });
  });
  afterEach(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a suspension set in the plugin becomes an address-list entry, a restore removes it, and the plugin records both as applied', async () => {
    const token = await createAgent(plugin.ctx, 'pop-north');
    await request(plugin.app).post(`${AGENT_API_PREFIX}/status`).set('Authorization', `Bearer ${token}`).send(statusReport(clock.now(), ['bras1'])).expect(204);
    const alice = await serviceOn(plugin, 'alice', 'bras1');
    const { enforcer, close } = createEnforcer({
      config: enforcementConfigSchema.parse({ devices: [{ name: 'bras1' }] }),
      plugin: { url: server.base, token, timeoutSeconds: 5 },
      routers: [routerConfigSchema.parse({ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw' })],
      nases: [],
      stateDir: dir,
      connect: (r) => connectRouter(r, nullLogger),
      sessions: () => [],
      dictionaryFiles: [],
      clock: systemClock,
      logger: nullLogger,
    });
    try {
      await enforcer.start();
      await until(() => enforcer.status().stream.up, 10_000, 'stream');
      const [suspended] = await plugin.services.enforcement.setDesired({ serviceIds: [alice], desired: 'suspended', cause: cause('dunning') });
      await until(() => sim.model.addressList.size === 1, 10_000, 'entry on the router');
      expect([...sim.model.addressList.values()].map((e) => [e.list, e.address, e.comment])).to.deep.equal([['octet-suspended', '10.0.0.2', `octet:${alice}`]]);
      let state = (await plugin.services.enforcement.stateOf([alice])).get(alice)!;
      for (let i = 0; i < 100 && state.appliedVersion !== suspended!.version; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await plugin.services.enforcement.stateOf([alice])).get(alice)!;
      }
      expect(state).to.deep.include({ desired: 'suspended', applied: 'suspended', appliedVersion: suspended!.version, error: null });

      const [restored] = await plugin.services.enforcement.setDesired({ serviceIds: [alice], desired: 'active', cause: cause('payment') });
      await until(() => sim.model.addressList.size === 0, 10_000, 'entry removed');
      for (let i = 0; i < 100 && state.appliedVersion !== restored!.version; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await plugin.services.enforcement.stateOf([alice])).get(alice)!;
      }
      expect(state).to.deep.include({ desired: 'active', applied: 'active', appliedVersion: restored!.version, error: null });
    } finally {
      await close();
    }
  });
});
