import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentConfigSchema } from '../../../../agent/config.js';
import { startAgent, type RunningAgent } from '../../../../agent/main.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { FakeEnforcementPlugin, until } from '../../../support/enforcer/fake-plugin.js';

/** The agent as `octet agent` starts it, with an `enforcement:` part in its config. */
describe('the agent with enforcement configured', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let plugin: FakeEnforcementPlugin;
  let dir: string;
  let agent: RunningAgent | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-agent-enforce-'));
    sim = await startSimulator({ users: [{ name: 'octet', password: 'pw' }] });
    sim.model.addSecret('alice', { password: 'x' });
    sim.model.connect('alice', { address: '10.0.0.2' });
    plugin = new FakeEnforcementPlugin();
    await plugin.start();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await sim.close();
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the enforcer: a suspension in the plugin becomes an address-list entry, and the state file is written', async () => {
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const config = agentConfigSchema.parse({
      plugin: { url: plugin.url, token: plugin.token },
      spool: { dir: path.join(dir, 'spool') },
      http: { port: 0 },
      routers: [{ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', pollIntervalSeconds: 3600 }],
      enforcement: { devices: [{ name: 'bras1', addressList: 'unpaid' }] },
    });
    agent = await startAgent(config, { logger: nullLogger });
    await until(() => plugin.lastApplied(7)?.ok === true, 10_000, 'applied');
    expect([...sim.model.addressList.values()].map((e) => [e.list, e.address, e.comment])).to.deep.equal([['unpaid', '10.0.0.2', 'octet:7']]);
    expect(JSON.parse(readFileSync(path.join(config.stateDir, 'enforcement.json'), 'utf8')).applied['7']).to.deep.equal({ version: 1, state: 'suspended', rate: null, device: 'bras1' });
  });

  it('says in /healthz what the enforcer applied, and when the router is unreachable reports degraded with the changes pending on it', async () => {
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const config = agentConfigSchema.parse({
      plugin: { url: plugin.url, token: plugin.token },
      spool: { dir: path.join(dir, 'spool') },
      http: { port: 0 },
      routers: [{ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', pollIntervalSeconds: 3600, timeoutSeconds: 2 }],
      enforcement: { maxBackoffSeconds: 1, devices: [{ name: 'bras1' }] },
    });
    agent = await startAgent(config, { logger: nullLogger });
    await until(() => plugin.lastApplied(7)?.ok === true, 10_000, 'applied');
    const health = async () => (await fetch(`http://127.0.0.1:${agent!.httpPort}/healthz`)).json() as Promise<{ status: string; problems: string[]; enforcer: Record<string, unknown> }>;
    let h = await health();
    expect(h.enforcer).to.deep.include({ stream: { up: true, lastError: null }, pendingChanges: 0, pendingByDevice: { bras1: 0 }, lastAppliedVersion: 1, unreachable: [] });

    await sim.setReachable(false);
    plugin.set(8, 'bob', 'bras1', 'suspended');
    await until(() => plugin.lastApplied(8) !== undefined, 10_000, 'failure report');
    h = await health();
    expect(h.status).to.equal('degraded');
    expect(h.enforcer).to.deep.include({ pendingChanges: 1, pendingByDevice: { bras1: 1 }, lastAppliedVersion: 1 });
    expect((h.enforcer.unreachable as Array<{ device: string }>).map((u) => u.device)).to.deep.equal(['bras1']);
    expect(h.problems.some((p) => p.startsWith('enforcement: bras1 unreachable (1 changes pending): '))).to.equal(true);
  });
});

