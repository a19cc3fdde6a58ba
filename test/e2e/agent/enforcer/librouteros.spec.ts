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
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'read_address_list.py');

function readList(port: number, list: string): Promise<Array<{ list: string; address: string; comment: string }>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, '127.0.0.1', String(port), 'octet', 'pw', list], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`librouteros failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as Array<{ list: string; address: string; comment: string }>);
    });
  });
}

describe('an address-list entry put by the enforcer, read by python3-librouteros', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let plugin: FakeEnforcementPlugin;
  let dir: string;

  before(() => {
    try {
      execFileSync(PYTHON, ['-c', 'import librouteros'], { stdio: 'ignore' });
    } catch {
      throw new Error('python3-librouteros is not installed: apt-get install python3-librouteros');
    }
  });
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-lr-'));
    sim = await startSimulator({ users: [{ name: 'octet', password: 'pw' }] });
    sim.model.addSecret('alice', { password: 'x' });
    sim.model.connect('alice', { address: '10.0.0.2' });
    plugin = new FakeEnforcementPlugin();
    await plugin.start();
  });
  afterEach(async () => {
    await sim.close();
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees the suspended subscriber in the list while suspended, and not after the restore', async () => {
    const { enforcer, close } = createEnforcer({
      config: enforcementConfigSchema.parse({ devices: [{ name: 'bras1', addressList: 'unpaid' }] }),
      plugin: { url: plugin.url, token: plugin.token, timeoutSeconds: 5 },
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
      await until(() => plugin.streamCount === 1);
      plugin.set(7, 'alice', 'bras1', 'suspended');
      await until(() => plugin.lastApplied(7)?.ok === true);
      expect(await readList(sim.port, 'unpaid')).to.deep.equal([{ list: 'unpaid', address: '10.0.0.2', comment: 'octet:7' }]);
      plugin.set(7, 'alice', 'bras1', 'active');
      await until(() => plugin.lastApplied(7)?.applied === 'active');
      expect(await readList(sim.port, 'unpaid')).to.deep.equal([]);
    } finally {
      await close();
    }
  });
});
