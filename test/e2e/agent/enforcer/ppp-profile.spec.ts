import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { enforcementConfigSchema } from '../../../../agent/enforcer/config.js';
import { createEnforcer } from '../../../../agent/enforcer/index.js';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { connectRouter } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { FakeEnforcementPlugin, until } from '../../../support/enforcer/fake-plugin.js';

/** Debian's python3 (the one with python3-librouteros), as test/e2e/agent/routeros/librouteros.spec.ts. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ppp_secret.py');

function librouteros(port: number, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, '127.0.0.1', String(port), 'octet', 'pw', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`librouteros failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout));
    });
  });
}
const readSecret = (port: number, name: string) => librouteros(port, [name]);
const setProfileByHand = (port: number, name: string, profile: string) => librouteros(port, [name, profile]);

/**
 * Fair-use throttling by PPP profile (a router configured `throttle: profile`): the enforcer
 * against the RouterOS simulator, the router's secrets read back by python3-librouteros.
 */
describe('fair-use throttling by PPP profile, read back by python3-librouteros', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let plugin: FakeEnforcementPlugin;
  let dir: string;
  let running: Array<{ close(): Promise<void> }> = [];

  before(() => {
    try {
      execFileSync(PYTHON, ['-c', 'import librouteros'], { stdio: 'ignore' });
    } catch {
      throw new Error('python3-librouteros is not installed: apt-get install python3-librouteros');
    }
  });
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-profile-'));
    sim = await startSimulator({ users: [{ name: 'octet', password: 'pw' }] });
    sim.model.addPppProfile('home-50M', { rateLimit: '10M/50M' });
    sim.model.addPppProfile('fair-use', { rateLimit: '1M/2M' });
    sim.model.addSecret('alice', { password: 'x', profile: 'home-50M', comment: 'flat 4' });
    sim.model.connect('alice', { address: '10.0.0.2' });
    plugin = new FakeEnforcementPlugin();
    await plugin.start();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    await sim.close();
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(throttleProfile = 'fair-use') {
    const e = createEnforcer({
      config: enforcementConfigSchema.parse({ maxBackoffSeconds: 1, retryFailedSeconds: 1, devices: [{ name: 'bras1', throttle: 'profile', throttleProfile }] }),
      plugin: { url: plugin.url, token: plugin.token, timeoutSeconds: 5 },
      routers: [routerConfigSchema.parse({ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', timeoutSeconds: 5 })],
      nases: [],
      stateDir: dir,
      connect: (r) => connectRouter(r, nullLogger),
      sessions: () => [],
      dictionaryFiles: [],
      clock: systemClock,
      logger: nullLogger,
    });
    running.push(e);
    return e.enforcer;
  }

  it('a throttled subscriber is moved to the throttled profile and logged out, so the next login runs on it; restored, back on their own profile and comment', async () => {
    const enforcer = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1, 10_000, 'stream');
    const throttled = plugin.set(7, 'alice', 'bras1', 'throttled', '1M/2M');
    await until(() => plugin.lastApplied(7)?.version === throttled.version, 10_000, 'throttle applied');
    expect(plugin.lastApplied(7)).to.include({ ok: true, applied: 'throttled', error: null });
    expect(await readSecret(sim.port, 'alice')).to.deep.equal({ name: 'alice', profile: 'fair-use', comment: 'octet-was-profile=home-50M;flat 4' });
    expect(sim.model.sessionOf('alice')).to.equal(undefined);
    // The subscriber's PPPoE client dials again: the router gives the session the throttled profile.
    expect(sim.model.connect('alice', { address: '10.0.0.2' }).profile).to.equal('fair-use');

    const restored = plugin.set(7, 'alice', 'bras1', 'active');
    await until(() => plugin.lastApplied(7)?.version === restored.version, 10_000, 'restore applied');
    expect(plugin.lastApplied(7)).to.include({ ok: true, applied: 'active', error: null });
    expect(await readSecret(sim.port, 'alice')).to.deep.equal({ name: 'alice', profile: 'home-50M', comment: 'flat 4' });
    expect(sim.model.sessionOf('alice')).to.equal(undefined);
    expect(sim.model.connect('alice', { address: '10.0.0.2' }).profile).to.equal('home-50M');
  });

  it('throttling twice changes nothing the second time: the session that took the throttled profile stays up', async () => {
    const enforcer = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1, 10_000, 'stream');
    plugin.set(7, 'alice', 'bras1', 'throttled', '1M/2M');
    await until(() => plugin.lastApplied(7)?.ok === true, 10_000, 'throttle applied');
    const session = sim.model.connect('alice', { address: '10.0.0.2' });
    enforcer.reconcileAll();
    await enforcer.settled();
    expect(sim.model.sessionOf('alice')?.id).to.equal(session.id);
    expect(await readSecret(sim.port, 'alice')).to.deep.equal({ name: 'alice', profile: 'fair-use', comment: 'octet-was-profile=home-50M;flat 4' });
  });

  it('a throttled secret put back on its profile by hand is throttled again at the next reconciliation', async () => {
    const enforcer = start();
    await enforcer.start();
    await until(() => plugin.streamCount === 1, 10_000, 'stream');
    plugin.set(7, 'alice', 'bras1', 'throttled', '1M/2M');
    await until(() => plugin.lastApplied(7)?.ok === true, 10_000, 'throttle applied');
    await enforcer.settled();
    expect(await setProfileByHand(sim.port, 'alice', 'home-50M')).to.equal('ok');
    expect(await readSecret(sim.port, 'alice')).to.deep.include({ profile: 'home-50M' });
    enforcer.reconcileAll();
    await enforcer.settled();
    // The mark from the first throttle is kept: the way back is still the subscriber's own profile.
    expect(await readSecret(sim.port, 'alice')).to.deep.equal({ name: 'alice', profile: 'fair-use', comment: 'octet-was-profile=home-50M;flat 4' });
  });

  it('a throttled profile the router does not have is refused by the router and reported, and the secret keeps its profile', async () => {
    expect(await setProfileByHand(sim.port, 'alice', 'no-such-profile')).to.equal('input does not match any value of profile');
    const enforcer = start('missing-profile');
    await enforcer.start();
    await until(() => plugin.streamCount === 1, 10_000, 'stream');
    plugin.set(7, 'alice', 'bras1', 'throttled', '1M/2M');
    await until(() => plugin.lastApplied(7) !== undefined, 10_000, 'report');
    expect(plugin.lastApplied(7)).to.include({ ok: false });
    expect(plugin.lastApplied(7)!.error).to.match(/input does not match any value of profile/);
    expect(await readSecret(sim.port, 'alice')).to.deep.equal({ name: 'alice', profile: 'home-50M', comment: 'flat 4' });
  });
});
