import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enforcementConfigSchema } from '../../../../agent/enforcer/config.js';
import { createEnforcer } from '../../../../agent/enforcer/index.js';
import { routerConfigSchema, type RouterConfig } from '../../../../agent/poller/config.js';
import { connectRouter } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { systemClock } from '../../../../plugin/common/clock.js';
import { createLogger, nullLogger } from "../../../../plugin/common/logger.js";
const log = process.env.ENFORCER_DEBUG ? createLogger({ level: "debug", format: "text" }) : nullLogger;
import { FakeEnforcementPlugin, until } from '../../../support/enforcer/fake-plugin.js';

/**
 * The enforcer against the RouterOS simulator (in process, over real TCP with the agent's own
 * RouterOS client) and a plugin built from the wire format (plugin/common/wire.ts).
 */
describe('agent enforcer on a RouterOS router', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let plugin: FakeEnforcementPlugin;
  let dir: string;
  let running: Array<{ close(): Promise<void> }> = [];

  const routerFor = (s: Simulator): RouterConfig =>
    routerConfigSchema.parse({ name: 'bras1', host: '127.0.0.1', port: s.port, username: 'octet', password: 'pw', timeoutSeconds: 5 });

  async function newSimulator(port = 0): Promise<Simulator> {
    const s = await startSimulator({ port, users: [{ name: 'octet', password: 'pw' }] });
    for (const [login, ip] of [['alice', '10.0.0.2'], ['bob', '10.0.0.3']] as const) {
      s.model.addSecret(login, { password: 'x' });
      s.model.connect(login, { address: ip });
    }
    s.model.addHotspotUser('carol', { password: 'x' });
    s.model.connect('carol', { kind: 'hotspot', address: '172.16.0.9' });
    return s;
  }

  function start(device: Record<string, unknown> = {}, reconcileSeconds = 300) {
    const e = createEnforcer({
      config: enforcementConfigSchema.parse({ reconcileSeconds, maxBackoffSeconds: 1, retryFailedSeconds: 1, devices: [{ name: 'bras1', ...device }] }),
      plugin: { url: plugin.url, token: plugin.token, timeoutSeconds: 5 },
      routers: [routerFor(sim)],
      nases: [],
      stateDir: dir,
      connect: (r) => connectRouter(r, nullLogger),
      sessions: () => [],
      dictionaryFiles: [],
      clock: systemClock,
      logger: log,
    });
    running.push(e);
    return e;
  }

  const entries = (s: Simulator) => [...s.model.addressList.values()].filter((e) => e.list === 'octet-suspended').map((e) => ({ address: e.address, comment: e.comment }));

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-'));
    sim = await newSimulator();
    plugin = new FakeEnforcementPlugin();
    await plugin.start();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    await sim.close();
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a suspended service gets an address-list entry with its address and comment; restored, the entry is gone; both are reported with the version', async () => {
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1, 5000, 'stream');
    const item = plugin.set(7, 'alice', 'bras1', 'suspended');
    await until(() => entries(sim).length === 1, 5000, 'entry');
    expect(entries(sim)).to.deep.equal([{ address: '10.0.0.2', comment: 'octet:7' }]);
    await until(() => plugin.lastApplied(7)?.version === item.version);
    expect(plugin.lastApplied(7)).to.include({ ok: true, applied: 'suspended', device: 'bras1', error: null });

    const restored = plugin.set(7, 'alice', 'bras1', 'active');
    await until(() => entries(sim).length === 0, 5000, 'entry removed');
    await until(() => plugin.lastApplied(7)?.version === restored.version);
    expect(plugin.lastApplied(7)).to.include({ ok: true, applied: 'active' });
    expect(plugin.badReports).to.deep.equal([]);
  });

  it('reads the snapshot on start: services suspended before the agent started are applied', async () => {
    plugin.set(7, 'alice', 'bras1', 'suspended');
    plugin.set(8, 'bob', 'bras1', 'suspended');
    plugin.set(9, 'carol', 'bras1', 'active');
    const { enforcer } = start();
    await enforcer.start();
    await until(() => entries(sim).length === 2, 5000, 'entries');
    expect(entries(sim).map((e) => e.comment).sort()).to.deep.equal(['octet:7', 'octet:8']);
    await until(() => plugin.applied.length >= 3);
    expect(plugin.applied.map((a) => [a.serviceId, a.applied, a.ok]).sort()).to.deep.equal([[7, 'suspended', true], [8, 'suspended', true], [9, 'active', true]]);
  });

  it('an entry removed by hand comes back at the next reconciliation, and the repair is reported', async () => {
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const { enforcer } = start();
    await enforcer.start();
    await until(() => entries(sim).length === 1, 5000, 'entry');
    await enforcer.settled();
    const reports = plugin.applied.length;
    for (const [id, e] of sim.model.addressList) if (e.comment === 'octet:7') sim.model.addressList.delete(id);
    // Someone also added an Octet-looking entry for a service that is not suspended: ours to remove.
    sim.model.addAddressListEntry('octet-suspended', '10.9.9.9', { comment: 'octet:99' });
    sim.model.addAddressListEntry('octet-suspended', '10.9.9.8', { comment: 'blocked by staff' });
    enforcer.reconcileAll();
    await enforcer.settled();
    expect(entries(sim).sort((a, b) => a.address.localeCompare(b.address))).to.deep.equal([
      { address: '10.0.0.2', comment: 'octet:7' },
      { address: '10.9.9.8', comment: 'blocked by staff' },
    ]);
    expect(plugin.applied.slice(reports).map((a) => [a.serviceId, a.ok])).to.deep.equal([[7, true]]);
  });

  it('a rebooted router that lost its state gets everything re-applied once it is reachable again, and the outage is reported', async () => {
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const { enforcer } = start();
    await enforcer.start();
    await until(() => entries(sim).length === 1, 5000, 'entry');
    await enforcer.settled();
    const port = sim.port;
    await sim.close();
    // While it is down a change arrives: it cannot be applied, and the plugin hears why.
    plugin.set(8, 'bob', 'bras1', 'suspended');
    await until(() => plugin.lastApplied(8)?.ok === false, 5000, 'failure report');
    expect(plugin.lastApplied(8)!.error).to.match(/^bras1: /);
    expect(enforcer.status().devices[0]).to.include({ up: false });
    sim = await newSimulator(port); // a fresh router: no address-list entries at all
    expect(entries(sim)).to.deep.equal([]);
    await until(() => entries(sim).length === 2, 10_000, 're-applied');
    expect(entries(sim).map((e) => e.comment).sort()).to.deep.equal(['octet:7', 'octet:8']);
    await until(() => plugin.lastApplied(8)?.ok === true, 5000, 'recovery report');
  });

  it('a restarted agent does not re-apply what it applied before, but still repairs drift', async () => {
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const first = start();
    await first.enforcer.start();
    await until(() => entries(sim).length === 1, 5000, 'entry');
    await first.enforcer.settled();
    await first.close();
    running = [];
    const reports = plugin.applied.length;
    const second = start();
    await second.enforcer.start();
    await until(() => plugin.snapshotsServed === 2);
    await second.enforcer.settled();
    expect(plugin.applied.slice(reports), "nothing new to report").to.deep.equal([]);
    for (const [id] of sim.model.addressList) sim.model.addressList.delete(id);
    second.enforcer.reconcileAll();
    await second.enforcer.settled();
    expect(entries(sim)).to.deep.equal([{ address: '10.0.0.2', comment: 'octet:7' }]);
  });

  it('an existing entry is not an error (idempotent add)', async () => {
    sim.model.addAddressListEntry('octet-suspended', '10.0.0.2', { comment: 'octet:7' });
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.lastApplied(7) !== undefined);
    expect(plugin.lastApplied(7)).to.include({ ok: true });
    expect(entries(sim)).to.have.length(1);
  });

  it('PPP method: the secret is disabled and its session removed; restored, the secret is enabled again', async () => {
    const { enforcer } = start({ suspend: 'ppp', throttle: 'none' });
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(7, 'alice', 'bras1', 'suspended');
    await until(() => plugin.lastApplied(7)?.ok === true, 5000, 'applied');
    expect(sim.model.findSecret('alice')!.disabled).to.equal(true);
    expect(sim.model.sessionOf('alice')).to.equal(undefined);
    expect(sim.model.sessionOf('bob')).to.not.equal(undefined);
    plugin.set(7, 'alice', 'bras1', 'active');
    await until(() => plugin.lastApplied(7)?.applied === 'active', 5000, 'restored');
    expect(sim.model.findSecret('alice')!.disabled).to.equal(false);
  });

  it('hotspot method: the user is disabled and its active session removed', async () => {
    const { enforcer } = start({ suspend: 'hotspot', throttle: 'none' });
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(9, 'carol', 'bras1', 'suspended');
    await until(() => plugin.lastApplied(9)?.ok === true, 5000, 'applied');
    expect(sim.model.findHotspotUser('carol')!.disabled).to.equal(true);
    expect(sim.model.sessionOf('carol')).to.equal(undefined);
  });

  it('throttled: a simple queue on the subscriber address with the rate; active again, the queue is removed', async () => {
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(8, 'bob', 'bras1', 'throttled', '1M/2M');
    await until(() => plugin.lastApplied(8)?.ok === true, 5000, 'applied');
    const q = [...sim.model.queues.values()].map((x) => ({ name: x.name, target: x.target, maxLimit: x.maxLimit }));
    expect(q).to.deep.equal([{ name: 'octet-8', target: '10.0.0.3/32', maxLimit: '1M/2M' }]);
    expect(entries(sim)).to.deep.equal([]);
    plugin.set(8, 'bob', 'bras1', 'active');
    await until(() => plugin.lastApplied(8)?.applied === 'active', 5000, 'restored');
    expect(sim.model.queues.size).to.equal(0);
  });

  it('a login the router does not know is reported as not applied with the reason', async () => {
    const { enforcer } = start({ suspend: 'ppp', throttle: 'none' });
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(5, 'nobody', 'bras1', 'suspended');
    await until(() => plugin.lastApplied(5) !== undefined);
    expect(plugin.lastApplied(5)).to.include({ ok: false, applied: 'active', error: 'no PPP secret named nobody on the router' });
  });

  it('a suspended subscriber who is offline is reported as not applied, and blocked once it connects', async () => {
    sim.model.disconnect('bob');
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.set(8, 'bob', 'bras1', 'suspended');
    await until(() => plugin.lastApplied(8) !== undefined);
    expect(plugin.lastApplied(8)).to.include({ ok: false, error: 'no address known for bob on the router (not connected, no remote-address)' });
    sim.model.connect('bob', { address: '10.0.0.33' });
    await until(() => plugin.lastApplied(8)?.ok === true, 5000, 'retry once connected');
    expect(entries(sim)).to.deep.equal([{ address: '10.0.0.33', comment: 'octet:8' }]);
  });

  it('a device this agent does not enforce is reported, not dropped silently; a replayed old version changes nothing', async () => {
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1, 10_000, 'stream: ' + JSON.stringify(enforcer.status()));
    plugin.set(3, 'zed', 'elsewhere', 'suspended');
    await until(() => plugin.lastApplied(3) !== undefined);
    expect(plugin.lastApplied(3)!.error).to.equal('device elsewhere is not configured for enforcement on this agent');
    plugin.set(7, 'alice', 'bras1', 'suspended');
    const v2 = plugin.set(7, 'alice', 'bras1', 'active');
    await until(() => plugin.lastApplied(7)?.version === v2.version);
    plugin.send({ ...v2, desired: 'suspended', version: 1 });
    await new Promise((r) => setTimeout(r, 200));
    await enforcer.settled();
    expect(entries(sim)).to.deep.equal([]);
  });

  it('reconnects to the plugin after the stream is cut and reads the snapshot again', async () => {
    const { enforcer } = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1);
    plugin.cutStreams();
    plugin.set(7, 'alice', 'bras1', 'suspended'); // sent while no stream is open
    await until(() => plugin.snapshotsServed >= 2, 10_000, 'second snapshot');
    await until(() => entries(sim).length === 1, 5000, 'entry from the snapshot');
  });
});
