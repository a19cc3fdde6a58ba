import { expect } from 'chai';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { routerConfigSchema, type RouterConfig } from '../../../../agent/poller/config.js';
import { createPollers, type Pollers } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { Spool, type AppendResult, type SpoolEntry } from '../../../../agent/spool/spool.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { sessionIntervals } from '../../../../plugin/usage/counters.js';

/**
 * Issue 12, item 2: a polled session got a second identity when the poller's state was lost
 * between the spool append and the state save, and its bytes counted twice. The agent is "killed"
 * right after the records are durable (the append resolves, then the process is gone: the state
 * is never saved and the poller's memory is dropped); a new poller starts on the same spool and
 * state directory. Bytes are counted as the plugin counts them (counters.ts, per session id).
 */
class CrashingSpool {
  crashAfterAppend = false;
  /** Every record ever appended: acknowledged segments leave the disk, the plugin keeps them. */
  readonly log: SessionObservation[] = [];
  constructor(readonly spool: Spool) {}
  get id(): string {
    return this.spool.id;
  }
  get lastDurableSeq(): number {
    return this.spool.lastDurableSeq;
  }
  async append(records: SessionObservation[]): Promise<void> {
    await this.appendWithSeq(records);
  }
  async appendWithSeq(records: SessionObservation[]): Promise<AppendResult> {
    const r = await this.spool.appendWithSeq(records);
    this.log.push(...records);
    if (this.crashAfterAppend) throw new Error('killed after the append, before the state save');
    return r;
  }
  scan(afterSeq: number, onEntry: (e: SpoolEntry) => void): Promise<void> {
    return this.spool.scan(afterSeq, onEntry);
  }
  setHold(name: string, seq: number | null): Promise<void> {
    return this.spool.setHold(name, seq);
  }
}

function countedByPlugin(all: readonly SessionObservation[]): { usage: Map<string, { download: bigint; upload: bigint }>; sessions: Set<string> } {
  const bySession = new Map<string, SessionObservation[]>();
  for (const record of all) {
    const list = bySession.get(record.sessionId) ?? [];
    list.push(record);
    bySession.set(record.sessionId, list);
  }
  const usage = new Map<string, { download: bigint; upload: bigint }>();
  for (const records of bySession.values()) {
    const points = records.map((r) => ({
      atMs: Date.parse(r.observedAt),
      download: BigInt(r.downloadOctets),
      upload: BigInt(r.uploadOctets),
      ...(r.synthetic ? { synthetic: true } : {}),
    }));
    const { intervals } = sessionIntervals({ points, anchor: null, sessionStartMs: null });
    const login = records[0]!.login;
    const t = usage.get(login) ?? { download: 0n, upload: 0n };
    for (const i of intervals) {
      t.download += i.download;
      t.upload += i.upload;
    }
    usage.set(login, t);
  }
  return { usage, sessions: new Set(bySession.keys()) };
}

describe('polled sessions across a crash between the spool append and the state save', function () {
  this.timeout(30_000);
  let clock: ManualClock;
  let sim: Simulator;
  let dir: string;
  let spool: Spool;
  let crashing: CrashingSpool;
  let running: Pollers[];
  let router: RouterConfig;

  const start = (): Pollers => {
    const p = createPollers({ routers: [router], sink: crashing, journal: crashing, stateDir: path.join(dir, 'state'), clock, logger: nullLogger, registry: new Registry() });
    running.push(p);
    return p;
  };
  /** kill -9: the poller's memory is gone; what is on disk stays. */
  const kill = async (p: Pollers) => {
    await p.stop();
    running = running.filter((x) => x !== p);
  };

  beforeEach(async () => {
    // Sessions start at odd fractions of a second, so the start derived from the router's
    // whole-second uptime moves by a second between polls for some of them.
    clock = new ManualClock('2026-03-01T10:00:00.000Z');
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-poller-crash-'));
    sim = await startSimulator({ clock, users: [{ name: 'octet', password: 'pw' }], rates: { downloadBps: 1000, uploadBps: 100 } });
    for (let i = 0; i < 24; i++) {
      sim.model.addSecret(`sub${i}`);
      sim.model.connect(`sub${i}`);
      clock.advance(41);
    }
    spool = await Spool.open({ dir: path.join(dir, 'spool'), maxBytes: 64 * 1024 * 1024, segmentBytes: 2048, logger: nullLogger, clock });
    crashing = new CrashingSpool(spool);
    running = [];
    router = routerConfigSchema.parse({ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', timeoutSeconds: 10 });
  });
  afterEach(async () => {
    for (const p of running) await p.stop();
    await spool.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts no byte twice when the agent is killed after the first poll was spooled and before its state was saved', async () => {
    clock.advance(20_000);
    const first = start();
    crashing.crashAfterAppend = true;
    await first.pollNow('bras1');
    await kill(first);
    crashing.crashAfterAppend = false;

    clock.advance(10_500);
    const second = start();
    await second.pollNow('bras1');

    const counted = countedByPlugin(crashing.log);
    expect(counted.sessions.size).to.equal(24);
    expect(counted.usage).to.deep.equal(sim.model.truth());
  });

  it('counts no byte twice for sessions that appeared in the poll whose state save was lost', async () => {
    const first = start();
    clock.advance(20_000);
    await first.pollNow('bras1');
    for (let i = 24; i < 36; i++) {
      sim.model.addSecret(`sub${i}`);
      sim.model.connect(`sub${i}`);
      clock.advance(77);
    }
    clock.advance(15_000);
    crashing.crashAfterAppend = true;
    await first.pollNow('bras1');
    await kill(first);
    crashing.crashAfterAppend = false;

    clock.advance(9_600);
    const second = start();
    await second.pollNow('bras1');
    clock.advance(30_300);
    await second.pollNow('bras1');

    const counted = countedByPlugin(crashing.log);
    expect(counted.sessions.size).to.equal(36);
    expect(counted.usage).to.deep.equal(sim.model.truth());
  });

  it('counts no byte twice when the state file was moved aside and the spool was acknowledged meanwhile', async () => {
    const first = start();
    clock.advance(20_000);
    await first.pollNow('bras1');
    clock.advance(60_000);
    await first.pollNow('bras1');
    await spool.ack(spool.lastDurableSeq);
    await kill(first);
    renameSync(path.join(dir, 'state', 'poller-bras1.json'), path.join(dir, 'state', 'poller-bras1.json.aside'));

    clock.advance(30_700);
    const second = start();
    await second.pollNow('bras1');

    const counted = countedByPlugin(crashing.log);
    expect(counted.sessions.size).to.equal(24);
    expect(counted.usage).to.deep.equal(sim.model.truth());
  });
});

describe('the poller spool hold', () => {
  it('keeps the latest record of each open session, but not of sessions unreported for longer than the limit (a router down for a day)', async () => {
    const { holdSeq } = await import('../../../../agent/poller/replay.js');
    const t = (seq: number, reportedAt: string) => ({
      sessionId: `ppp:*${seq}@1`, kind: 'ppp' as const, itemId: `*${seq}`, login: `u${seq}`, sessionStart: null, uptimeSeconds: null,
      download: '1', upload: '1', lastSeenAt: reportedAt, reportedAt, seq,
    });
    const state = { version: 1 as const, routerUptimeSeconds: 1, lastPollAt: null, journal: { spoolId: 'x', seq: 900 }, sessions: { a: t(100, '2026-03-01T09:50:00Z'), b: t(500, '2026-03-01T09:59:00Z') } };
    const now = new Date('2026-03-01T10:00:00Z');
    expect(holdSeq(state, now, 20 * 60_000)).to.equal(99);
    expect(holdSeq(state, new Date('2026-03-02T10:00:00Z'), 20 * 60_000)).to.equal(900);
  });
});
