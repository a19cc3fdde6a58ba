import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { createPollers, type Pollers } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { Spool } from '../../../../agent/spool/spool.js';
import { buildStatusReport } from '../../../../agent/status/report.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { agentStatusReport } from '../../../../plugin/common/wire.js';

/** Issue 12, item 24: a wrong router password was visible only in the agent's own /healthz. */
describe('agent status report', function () {
  this.timeout(20_000);
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  let sim: Simulator;
  let dir: string;
  let spool: Spool;
  let pollers: Pollers;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-status-'));
    sim = await startSimulator({ clock, users: [{ name: 'octet', password: 'pw' }], rates: { downloadBps: 1000, uploadBps: 100 } });
    sim.model.populate(3);
    spool = await Spool.open({ dir: path.join(dir, 'spool'), maxBytes: 16 * 1024 * 1024, logger: nullLogger, clock });
    const r = (name: string, password: string) => routerConfigSchema.parse({ name, host: '127.0.0.1', port: sim.port, username: 'octet', password, timeoutSeconds: 5 });
    pollers = createPollers({ routers: [r('bras1', 'pw'), r('bras2', 'wrong')], sink: spool, journal: spool, stateDir: path.join(dir, 'state'), clock, logger: nullLogger, registry: new Registry() });
  });
  afterEach(async () => {
    await pollers.stop();
    await spool.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const report = () => {
    const st = spool.stats();
    const complete = new Map(pollers.completeThrough(st.ackedSeq).map((c) => [c.router, c.completeThrough]));
    return agentStatusReport.parse(
      buildStatusReport({
        now: clock.now(),
        version: '0.1.0',
        spool: st,
        shipper: { lastAckAt: null, lastError: null },
        routers: pollers.status().map((s) => ({ ...s, errors: s.errors ?? 0, completeThrough: complete.get(s.router) ?? null })),
      }),
    );
  };

  it('reports a router with a wrong password as down, saying why, and the other as up with its sessions', async () => {
    clock.advance(60_000);
    await pollers.pollNow('bras1');
    await pollers.pollNow('bras2');
    const sources = report().sources;
    expect(sources.map((s) => [s.name, s.up, s.sessions, s.errors])).to.deep.equal([
      ['bras1', true, 3, 0],
      ['bras2', false, null, 1],
    ]);
    expect(sources[1]!.reason).to.match(/invalid user name or password/);
  });

  it('says a router is complete through a poll only once the plugin acknowledged that poll’s records', async () => {
    clock.advance(60_000);
    await pollers.pollNow('bras1');
    const firstPoll = clock.now().toISOString();
    expect(report().sources[0]!.completeThrough).to.equal(null);
    await spool.ack(spool.lastDurableSeq);
    expect(report().sources[0]!.completeThrough).to.equal(firstPoll);
    clock.advance(60_000);
    await pollers.pollNow('bras1');
    expect(report().sources[0]!.completeThrough).to.equal(firstPoll);
    await spool.ack(spool.lastDurableSeq);
    expect(report().sources[0]!.completeThrough).to.equal(clock.now().toISOString());
    expect(report().spool.depth).to.equal(0);
  });
});
