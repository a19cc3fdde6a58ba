import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { createPollers } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';

/**
 * An agent once logged "stopped" after SIGTERM and stayed alive for minutes: a poll still running
 * when the poller stopped went on to open (or re-open) its RouterOS connection, which nobody
 * closed, and the open socket kept the process alive until the router dropped it.
 */
describe('router poller stopping', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let stateDir: string;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  beforeEach(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'octet-poller-stop-'));
    sim = await startSimulator({ clock, users: [{ name: 'octet', password: 'pw' }], rates: { downloadBps: 1000, uploadBps: 100 } });
  });
  afterEach(async () => {
    await sim.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const pollers = () =>
    createPollers({
      routers: [routerConfigSchema.parse({ name: 'r1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', timeoutSeconds: 10 })],
      sink: { append: async () => undefined },
      stateDir,
      clock,
      logger: nullLogger,
      registry: new Registry(),
    });

  async function settled(): Promise<number> {
    // The simulator sees a closed socket a moment after the agent closed it.
    for (let i = 0; i < 50 && sim.connectionCount() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    return sim.connectionCount();
  }

  it('leaves no RouterOS connection open when stopped while a poll is connecting', async () => {
    const p = pollers();
    const poll = p.pollNow('r1');
    await p.stop();
    await poll.catch(() => undefined);
    expect(await settled()).to.equal(0);
  });

  it('leaves no RouterOS connection open when stopped in the middle of a poll on a kept-alive connection', async () => {
    const p = pollers();
    await p.pollNow('r1');
    expect(sim.connectionCount()).to.equal(1);
    const poll = p.pollNow('r1');
    await new Promise((r) => setImmediate(r));
    await p.stop();
    await poll.catch(() => undefined);
    expect(await settled()).to.equal(0);
  });
});
