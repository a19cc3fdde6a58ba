import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Registry } from 'prom-client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { createPollers } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { InventorySnapshot } from '../../../../plugin/common/wire.js';
import { ManualClock } from '../../../../plugin/common/clock.js';

/**
 * The simulator against an independent client: Debian's python3-librouteros (run with
 * /usr/bin/python3, which has the Debian packages; the python3 on PATH may not).
 */
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'librouteros_client.py');

function ensureLibrouteros(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import librouteros'], { stdio: 'ignore' });
  } catch {
    // Test set-up installs the package where it can (CI runs as root); otherwise say what is missing.
    if (process.getuid?.() === 0) {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-librouteros'], { stdio: 'ignore' });
    } else {
      throw new Error('python3-librouteros is not installed: apt-get install python3-librouteros');
    }
  }
}

function runLibrouteros(port: number, user: string, password: string, scenario: 'session' | 'badlogin' | 'utf8'): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, '127.0.0.1', String(port), user, password, scenario], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`librouteros script failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

describe('python3-librouteros against the RouterOS simulator', function () {
  this.timeout(90_000);
  let sim: Simulator;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  before(ensureLibrouteros);
  beforeEach(async () => {
    sim = await startSimulator({ clock, users: [{ name: 'billing', password: 'Secr3t' }], rates: { downloadBps: 1000, uploadBps: 250 } });
    sim.model.addSecret('alice', { password: 'a' });
    sim.model.addSecret('bob', { password: 'b' });
    sim.model.connect('alice', { address: '10.1.0.2', callerId: 'AA:BB:CC:00:00:01' });
    sim.model.connect('bob');
    clock.advance(120_000);
  });
  afterEach(() => sim.close());

  it('logs in, prints /ppp/active and /interface, manages an address-list entry and sees the duplicate trap', async () => {
    const out = await runLibrouteros(sim.port, 'billing', 'Secr3t', 'session');
    expect(out.login).to.equal('ok');
    expect(out.identity).to.deep.equal([{ name: 'MikroTik' }]);

    const active = out.ppp_active as Array<Record<string, unknown>>;
    expect(active.map((r) => r.name)).to.deep.equal(['alice', 'bob']);
    expect(active[0]).to.include({ service: 'pppoe', address: '10.1.0.2', 'caller-id': 'AA:BB:CC:00:00:01', uptime: '2m' });

    // librouteros turns all-digit values into ints and true/false into booleans (reference §8).
    const ifaces = out.interfaces as Array<Record<string, unknown>>;
    const alice = ifaces.find((r) => r.name === '<pppoe-alice>');
    expect(alice).to.include({ type: 'pppoe-in', 'tx-byte': 120_000, 'rx-byte': 30_000, running: true });
    expect(ifaces.map((r) => r.name)).to.include.members(['ether1', 'ether2', '<pppoe-bob>']);

    expect(out.hotspot_active).to.deep.equal([]);
    expect(out.added_id).to.match(/^\*[0-9A-F]+$/);
    expect(out.duplicate).to.deep.equal({ message: 'failure: already have such entry', category: null });
    expect(out.after_add).to.have.length(1);
    expect((out.after_add as Array<Record<string, unknown>>)[0]).to.include({ address: '10.0.0.77', comment: 'octet test', dynamic: false, disabled: false });
    expect(out.query_select).to.deep.equal([{ address: '10.0.0.77' }]);
    expect(out.after_remove).to.deep.equal([]);
    expect(out.unknown_menu).to.equal('no such command or directory (routerboard), no such command prefix');
  });

  it('reads a UTF-8 PPP secret as librouteros (utf-8) reads it (müller), and gives its bytes back for writes', async () => {
    // The router holds the bytes of UTF-8 text; the simulator keeps words one character per byte.
    sim.model.addSecret(Buffer.from('müller', 'utf8').toString('latin1'), { comment: Buffer.from('Straße 1', 'utf8').toString('latin1') });
    const out = await runLibrouteros(sim.port, 'billing', 'Secr3t', 'utf8');
    const theirs = (out.secrets as Array<Record<string, unknown>>).find((s) => s.name === 'müller');
    expect(theirs).to.include({ comment: 'Straße 1' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'octet-lr-utf8-'));
    const snapshots: InventorySnapshot[] = [];
    const pollers = createPollers({
      routers: [routerConfigSchema.parse({ name: 'r1', host: '127.0.0.1', port: sim.port, username: 'billing', password: 'Secr3t' })],
      sink: { append: async () => undefined },
      inventory: { publish: (s) => void snapshots.push(s) },
      stateDir: dir,
      clock,
      logger: nullLogger,
      registry: new Registry(),
    });
    try {
      await pollers.pollNow('r1');
      expect(snapshots[0]!.entries.find((e) => e.name === 'müller')).to.include({ comment: 'Straße 1' });
      expect(pollers.textOf('r1')!.encode('müller')).to.equal(Buffer.from('müller', 'utf8').toString('latin1'));
    } finally {
      await pollers.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused with the RouterOS trap text on a bad password', async () => {
    const out = await runLibrouteros(sim.port, 'billing', 'wrong', 'badlogin');
    expect(out).to.deep.equal({ login: 'refused', error: 'TrapError', message: 'invalid user name or password (6)', category: null });
  });
});
