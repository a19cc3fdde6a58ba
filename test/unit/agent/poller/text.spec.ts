import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { createPollers, type Pollers } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { InventorySnapshot, SessionObservation } from '../../../../plugin/common/wire.js';

/** Issue 12, item 13: the router's UTF-8 logins reached the plugin as `mÃ¼ller`. */
describe('logins from routers in UTF-8 and in code pages', function () {
  this.timeout(20_000);
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  let sim: Simulator;
  let dir: string;
  let pollers: Pollers | undefined;
  const records: SessionObservation[] = [];
  const snapshots: InventorySnapshot[] = [];
  // The simulator keeps words as bytes (one character per byte), as RouterOS stores them.
  const raw = (s: string, enc: BufferEncoding | 'cp1251') =>
    enc === 'cp1251' ? String.fromCharCode(...[...s].map((c) => 0xc0 + 'АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя'.indexOf(c))) : Buffer.from(s, enc).toString('latin1');

  beforeEach(async () => {
    records.length = 0;
    snapshots.length = 0;
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-poller-text-'));
    sim = await startSimulator({ clock, users: [{ name: 'octet', password: 'pw' }], rates: { downloadBps: 1000, uploadBps: 100 } });
  });
  afterEach(async () => {
    await pollers?.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const poll = async (extra: Record<string, unknown> = {}) => {
    const router = routerConfigSchema.parse({ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', ...extra });
    pollers = createPollers({
      routers: [router],
      sink: { append: async (r) => void records.push(...r) },
      inventory: { publish: (s) => void snapshots.push(s) },
      stateDir: dir,
      clock,
      logger: nullLogger,
      registry: new Registry(),
    });
    clock.advance(10_000);
    await pollers.pollNow('bras1');
    return pollers;
  };

  it('reports a RouterOS 7 UTF-8 login as the name a service for it has (müller, not mÃ¼ller)', async () => {
    sim.model.addSecret(raw('müller', 'utf8'), { comment: raw('Straße 1', 'utf8') });
    sim.model.connect(raw('müller', 'utf8'));
    await poll();
    expect(records.map((r) => r.login)).to.deep.equal(['müller']);
    expect(snapshots[0]!.entries.map((e) => [e.name, e.comment])).to.deep.equal([['müller', 'Straße 1']]);
  });

  it('reads a RouterOS 6 router in its Windows code page when configured so', async () => {
    sim.model.addSecret(raw('Петр', 'cp1251'));
    sim.model.connect(raw('Петр', 'cp1251'));
    await poll({ textEncoding: 'windows-1251' });
    expect(records.map((r) => r.login)).to.deep.equal(['Петр']);
  });

  it('gives back the router’s own bytes for a write of a name it read', async () => {
    const bytes = raw('müller', 'utf8');
    sim.model.addSecret(bytes);
    const p = await poll();
    expect(p.textOf('bras1')!.encode('müller')).to.equal(bytes);
  });
});
