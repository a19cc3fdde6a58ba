import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { routerConfigSchema, type RouterConfig } from '../../../../agent/poller/config.js';
import { createPollers, type Pollers } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import type { InventorySink, ObservationSink } from '../../../../agent/types.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { sessionObservation, type InventorySnapshot, type SessionObservation } from '../../../../plugin/common/wire.js';

/** An in-memory sink that also does what the plugin does: usage = sum of each session's last counters. */
class FakeSink implements ObservationSink {
  readonly records: SessionObservation[] = [];
  async append(records: SessionObservation[]): Promise<void> {
    for (const r of records) sessionObservation.parse(r);
    this.records.push(...records);
  }
  usage(router: string): Map<string, { download: bigint; upload: bigint }> {
    const last = new Map<string, SessionObservation>();
    for (const r of this.records) if (r.sourceName === router) last.set(r.sessionId, r);
    const out = new Map<string, { download: bigint; upload: bigint }>();
    for (const r of last.values()) {
      const t = out.get(r.login) ?? { download: 0n, upload: 0n };
      t.download += BigInt(r.downloadOctets);
      t.upload += BigInt(r.uploadOctets);
      out.set(r.login, t);
    }
    return out;
  }
  since(n: number): SessionObservation[] {
    return this.records.slice(n);
  }
}

class FakeInventory implements InventorySink {
  readonly snapshots: InventorySnapshot[] = [];
  publish(s: InventorySnapshot): void {
    this.snapshots.push(s);
  }
}

function routerFor(sim: Simulator, name: string, extra: Record<string, unknown> = {}): RouterConfig {
  return routerConfigSchema.parse({ name, host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', timeoutSeconds: 10, ...extra });
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('router poller against the simulator', function () {
  this.timeout(60_000);
  let clock: ManualClock;
  let sims: Simulator[];
  let pollers: Pollers[];
  let stateDir: string;
  let sink: FakeSink;
  let inventory: FakeInventory;
  let registry: Registry;

  async function sim(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
    const s = await startSimulator({ clock, users: [{ name: 'octet', password: 'pw' }], rates: { downloadBps: 1000, uploadBps: 100 }, ...options });
    sims.push(s);
    return s;
  }
  function poller(routers: RouterConfig[], extra: { random?: () => number } = {}): Pollers {
    const p = createPollers({ routers, sink, inventory, stateDir, clock, logger: nullLogger, registry, ...extra });
    pollers.push(p);
    return p;
  }

  beforeEach(() => {
    clock = new ManualClock('2026-03-01T10:00:00Z');
    sims = [];
    pollers = [];
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'octet-poller-'));
    sink = new FakeSink();
    inventory = new FakeInventory();
    registry = new Registry();
  });
  afterEach(async () => {
    for (const p of pollers) await p.stop();
    for (const s of sims) await s.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('records each PPP session with tx as download and rx as upload, as valid wire records', async () => {
    const r = await sim();
    r.model.addSecret('ann');
    r.model.connect('ann', { address: '10.0.0.5' });
    clock.advance(30_000);
    const p = poller([routerFor(r, 'bras1')]);
    await p.pollNow('bras1');
    expect(sink.records).to.have.length(1);
    expect(sink.records[0]).to.include({
      source: 'poll',
      sourceName: 'bras1',
      login: 'ann',
      downloadOctets: '30000',
      uploadOctets: '3000',
      ended: false,
      framedIp: '10.0.0.5',
      sessionStart: '2026-03-01T10:00:00.000Z',
      observedAt: '2026-03-01T10:00:30.000Z',
    });
    expect(p.status()).to.deep.equal([{ router: 'bras1', up: true, lastPollAt: clock.now(), lastError: null, sessions: 1 }]);
  });

  it('closes a session on reconnect and counts the new one from zero', async () => {
    const r = await sim();
    r.model.populate(2);
    const p = poller([routerFor(r, 'bras1')]);
    clock.advance(60_000);
    await p.pollNow('bras1');
    r.model.reconnect('user0001');
    clock.advance(60_000);
    await p.pollNow('bras1');
    const second = sink.since(2);
    expect(second.map((o) => [o.login, o.ended, o.downloadOctets])).to.deep.equal([
      ['user0002', false, '120000'],
      ['user0001', false, '60000'],
      ['user0001', true, '60000'],
    ]);
    expect(second[1]!.sessionId).to.not.equal(second[2]!.sessionId);
    expect(sink.usage('bras1')).to.deep.equal(r.model.truth());
  });

  it('swaps download and upload for a router configured as counting the other way round', async () => {
    const r = await sim();
    r.model.addSecret('ann');
    r.model.connect('ann');
    clock.advance(10_000);
    const p = poller([routerFor(r, 'bras1', { direction: 'swapped' })]);
    await p.pollNow('bras1');
    expect(sink.records[0]).to.include({ downloadOctets: '1000', uploadOctets: '10000' });
  });

  it('counts static simple queues (upload/download) and never the dynamic queues of PPP sessions', async () => {
    const r = await sim({ sessions: 2 });
    r.model.addQueue('office-42', '192.0.2.42/32', { downloadBps: 2000, uploadBps: 400 });
    clock.advance(10_000);
    const p = poller([routerFor(r, 'bras1', { collect: { ppp: false, queues: true } })]);
    await p.pollNow('bras1');
    expect(sink.records.map((o) => [o.login, o.downloadOctets, o.uploadOctets, o.sessionStart])).to.deep.equal([['office-42', '20000', '4000', null]]);
  });

  it('counts a login connected twice as two sessions, each with its own interface counters', async () => {
    const r = await sim();
    r.model.addSecret('ann');
    r.model.connect('ann', { rates: { downloadBps: 1000, uploadBps: 100 } });
    clock.advance(10_000);
    r.model.connect('ann', { rates: { downloadBps: 5000, uploadBps: 500 } });
    clock.advance(10_000);
    const p = poller([routerFor(r, 'bras1')]);
    await p.pollNow('bras1');
    expect(sink.records.map((o) => o.downloadOctets)).to.deep.equal(['20000', '50000']);
    expect(sink.usage('bras1')).to.deep.equal(r.model.truth());
  });

  it('detects a reboot, closes every session with its last counters and starts again from zero', async () => {
    const r = await sim();
    r.model.populate(3);
    const p = poller([routerFor(r, 'bras1')]);
    clock.advance(600_000);
    await p.pollNow('bras1');
    r.model.reboot();
    r.model.connect('user0001');
    clock.advance(60_000);
    await p.pollNow('bras1');
    const after = sink.since(3);
    expect(after.filter((o) => o.ended).map((o) => [o.login, o.terminateCause])).to.deep.equal([
      ['user0001', 'router-reboot'],
      ['user0002', 'router-reboot'],
      ['user0003', 'router-reboot'],
    ]);
    expect(after.filter((o) => !o.ended).map((o) => [o.login, o.downloadOctets])).to.deep.equal([['user0001', '60000']]);
    expect(sink.usage('bras1')).to.deep.equal(r.model.truth());
  });

  it('reports a router that went away, invents nothing for the gap, and picks up again when it returns', async () => {
    const r = await sim();
    r.model.populate(2);
    const p = poller([routerFor(r, 'bras1')]);
    clock.advance(60_000);
    await p.pollNow('bras1');
    const before = sink.records.length;

    await r.setReachable(false);
    clock.advance(60_000);
    await p.pollNow('bras1');
    expect(sink.records.length).to.equal(before);
    const [down] = p.status();
    expect(down).to.include({ up: false, sessions: 2 });
    expect(down!.lastError).to.match(/ECONNREFUSED/);
    expect(down!.lastPollAt?.toISOString()).to.equal('2026-03-01T10:01:00.000Z');
    const errors = await registry.getSingleMetric('octet_agent_poll_errors_total')!.get();
    expect(errors.values).to.deep.include({ value: 1, labels: { router: 'bras1', reason: 'connect' } });

    // While it was away user0002 hung up (what it moved after our last poll is unknowable).
    r.model.disconnect('user0002');
    clock.advance(60_000);
    await r.setReachable(true);
    await p.pollNow('bras1');
    expect(p.status()[0]).to.include({ up: true, lastError: null, sessions: 1 });
    const back = sink.since(before);
    expect(back.map((o) => [o.login, o.ended, o.downloadOctets, o.observedAt])).to.deep.equal([
      ['user0001', false, '180000', '2026-03-01T10:03:00.000Z'],
      ['user0002', true, '60000', '2026-03-01T10:01:00.000Z'],
    ]);
  });

  it('neither loses nor repeats usage across an agent restart', async () => {
    const r = await sim();
    r.model.populate(3);
    clock.advance(60_000);
    const first = poller([routerFor(r, 'bras1')]);
    await first.pollNow('bras1');
    await first.stop();
    // While the agent is down: one subscriber leaves, traffic goes on.
    r.model.disconnect('user0003');
    clock.advance(120_000);
    const before = sink.records.length;
    const second = poller([routerFor(r, 'bras1')]);
    await second.pollNow('bras1');
    const after = sink.since(before);
    const firstIds = new Map(sink.records.slice(0, before).map((o) => [o.login, o.sessionId]));
    expect(after.map((o) => [o.login, o.ended, o.sessionId === firstIds.get(o.login)])).to.deep.equal([
      ['user0001', false, true],
      ['user0002', false, true],
      ['user0003', true, true],
    ]);
    expect(sink.usage('bras1')).to.deep.equal(r.model.truth());
  });

  it('polls 2,000 sessions on two routers through reconnects, hang-ups and a reboot, and matches their truth', async () => {
    const a = await sim({ sessions: 1200 });
    const b = await sim({ hotspotSessions: 800, rates: { downloadBps: 3000, uploadBps: 700 } });
    const p = poller([routerFor(a, 'bras-a'), routerFor(b, 'hs-b', { collect: { ppp: false, hotspot: true } })]);
    const both = () => Promise.all([p.pollNow('bras-a'), p.pollNow('hs-b')]);
    await both();
    for (let round = 1; round <= 4; round++) {
      clock.advance(60_000);
      await both();
      // Changes happen right after a poll, so every session's end is at counters a poll has seen.
      for (let i = round; i <= 1200; i += 97) a.model.reconnect(`user${String(i).padStart(4, '0')}`);
      for (let i = round; i <= 800; i += 41) b.model.disconnect(`hs${String(i).padStart(4, '0')}`);
      if (round === 2) {
        a.model.reboot();
        for (let i = 1; i <= 600; i++) a.model.connect(`user${String(i).padStart(4, '0')}`);
      }
    }
    clock.advance(60_000);
    await both();
    expect(sink.usage('bras-a')).to.deep.equal(a.model.truth());
    expect(sink.usage('hs-b')).to.deep.equal(b.model.truth());
    expect(p.status().map((s) => [s.router, s.up, s.sessions])).to.deep.equal([
      ['bras-a', true, a.model.sessions.size],
      ['hs-b', true, b.model.sessions.size],
    ]);
  });

  it('does not poll sessions of a router whose sessions come from RADIUS, but publishes its inventory', async () => {
    const r = await sim({ sessions: 2 });
    r.model.findSecret('user0002')!.disabled = true;
    r.model.findSecret('user0001')!.comment = 'flat 20M';
    const p = poller([routerFor(r, 'nas1', { sessionSource: 'radius' })]);
    await p.pollNow('nas1');
    expect(sink.records).to.deep.equal([]);
    expect(inventory.snapshots).to.deep.equal([
      {
        routerName: 'nas1',
        takenAt: '2026-03-01T10:00:00.000Z',
        entries: [
          { kind: 'ppp', name: 'user0001', profile: 'default', disabled: false, comment: 'flat 20M' },
          { kind: 'ppp', name: 'user0002', profile: 'default', disabled: true },
        ],
      },
    ]);
  });

  it('publishes hotspot users in the inventory when hotspot is collected, every N polls', async () => {
    const r = await sim({ hotspotSessions: 1 });
    const p = poller([routerFor(r, 'hs1', { collect: { ppp: true, hotspot: true }, inventoryEveryPolls: 2 })]);
    await p.pollNow('hs1');
    await p.pollNow('hs1');
    await p.pollNow('hs1');
    expect(inventory.snapshots).to.have.length(2);
    expect(inventory.snapshots[0]!.entries).to.deep.equal([{ kind: 'hotspot', name: 'hs0001', profile: 'default', disabled: false }]);
  });

  it('reports bad credentials as a login error', async () => {
    const r = await sim();
    const p = poller([routerFor(r, 'bras1', { password: 'wrong' })]);
    await p.pollNow('bras1');
    expect(p.status()[0]!.lastError).to.equal('login refused by router: invalid user name or password (6)');
    const errors = await registry.getSingleMetric('octet_agent_poll_errors_total')!.get();
    expect(errors.values).to.deep.include({ value: 1, labels: { router: 'bras1', reason: 'login' } });
  });

  it('keeps polling other routers while one hangs, and times the hanging one out', async () => {
    const slow = await sim({ sessions: 1 });
    const fast = await sim({ sessions: 1 });
    slow.faults.hang.add('/ppp/active/print');
    const p = poller(
      [routerFor(slow, 'slow', { timeoutSeconds: 5, pollIntervalSeconds: 1 }), routerFor(fast, 'fast', { pollIntervalSeconds: 1 })],
      { random: () => 0 },
    );
    p.start();
    await until(() => p.status()[1]!.up);
    // The fast router was recorded while the slow one's poll was still waiting for its reply.
    expect(p.status()[0]!.lastError).to.equal(null);
    expect(sink.records.map((o) => o.sourceName)).to.deep.equal(['fast']);
    await until(() => p.status()[0]!.lastError !== null);
    expect(p.status()[0]!.lastError).to.match(/\/ppp\/active\/print: no reply within 5000 ms/);
    const duration = await registry.getSingleMetric('octet_agent_poll_duration_seconds')!.get();
    const counts = duration.values.filter((v) => (v as { metricName?: string }).metricName === 'octet_agent_poll_duration_seconds_count');
    expect(counts.map((v) => [v.labels.router, v.labels.outcome])).to.deep.include.members([
      ['fast', 'ok'],
      ['slow', 'error'],
    ]);
  });

  it('closes its router connections when stopped', async () => {
    const r = await sim({ sessions: 1 });
    const p = poller([routerFor(r, 'bras1')]);
    await p.pollNow('bras1');
    expect(r.connectionCount()).to.equal(1);
    await p.stop();
    await until(() => r.connectionCount() === 0);
  });
});
