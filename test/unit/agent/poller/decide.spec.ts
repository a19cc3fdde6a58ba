import { expect } from 'chai';
import fc from 'fast-check';
import { decidePoll, emptyState, type PollerState, type SessionKind, type SessionRow } from '../../../../agent/poller/decide.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
let ids = 0;
const newRecordId = () => `r${++ids}`;
const PPP = new Set<SessionKind>(['ppp']);

function row(login: string, itemId: string, download: number, upload: number, uptimeSeconds: number): SessionRow {
  return { kind: 'ppp', itemId, login, uptimeSeconds, download: BigInt(download), upload: BigInt(upload) };
}

function poll(prev: PollerState, atSeconds: number, routerUptimeSeconds: number, rows: SessionRow[]) {
  return decidePoll(prev, { routerName: 'bras1', observedAt: new Date(T0 + atSeconds * 1000), routerUptimeSeconds, rows, kinds: PPP, newRecordId });
}

function brief(o: SessionObservation) {
  return { login: o.login, sessionId: o.sessionId, down: o.downloadOctets, up: o.uploadOctets, ended: o.ended, at: o.observedAt };
}

describe('poll decisions', () => {
  it('reports a new session with its cumulative counters and a start derived from its uptime', () => {
    const out = poll(emptyState(), 0, 1000, [row('ann', '*80000001', 500, 50, 120)]);
    expect(out.observations).to.have.length(1);
    expect(out.observations[0]).to.include({
      source: 'poll',
      sourceName: 'bras1',
      login: 'ann',
      sessionStart: '2026-03-01T09:58:00.000Z',
      observedAt: '2026-03-01T10:00:00.000Z',
      downloadOctets: '500',
      uploadOctets: '50',
      ended: false,
    });
    expect(out.observations[0]!.sessionId).to.equal('ppp:*80000001@1772359080');
  });

  it('reports grown counters under the same session id, and nothing when they did not move', () => {
    const a = poll(emptyState(), 0, 1000, [row('ann', '*1', 500, 50, 120)]);
    const b = poll(a.state, 60, 1060, [row('ann', '*1', 900, 70, 180)]);
    expect(b.observations.map(brief)).to.deep.equal([
      { login: 'ann', sessionId: a.observations[0]!.sessionId, down: '900', up: '70', ended: false, at: '2026-03-01T10:01:00.000Z' },
    ]);
    const c = poll(b.state, 120, 1120, [row('ann', '*1', 900, 70, 240)]);
    expect(c.observations).to.deep.equal([]);
  });

  it('closes a session that disappeared with the counters and time it was last seen', () => {
    const a = poll(emptyState(), 0, 1000, [row('ann', '*1', 500, 50, 120)]);
    const b = poll(a.state, 60, 1060, []);
    expect(b.observations.map(brief)).to.deep.equal([
      { login: 'ann', sessionId: a.observations[0]!.sessionId, down: '500', up: '50', ended: true, at: '2026-03-01T10:00:00.000Z' },
    ]);
    expect(b.observations[0]!.terminateCause).to.equal('session-vanished');
    expect(b.state.sessions).to.deep.equal({});
  });

  it('treats counters that went down as a new session, closing the old one; never a negative delta', () => {
    const a = poll(emptyState(), 0, 1000, [row('ann', '*1', 500, 50, 120)]);
    const b = poll(a.state, 60, 1060, [row('ann', '*1', 10, 1, 180)]);
    const [closed, opened] = b.observations;
    expect(brief(closed!)).to.include({ down: '500', up: '50', ended: true });
    expect(brief(opened!)).to.include({ down: '10', up: '1', ended: false });
    expect(opened!.sessionId).to.not.equal(closed!.sessionId);
  });

  it('treats a session uptime that went down as a new session even if counters grew', () => {
    const a = poll(emptyState(), 0, 1000, [row('ann', '*1', 500, 50, 600)]);
    const b = poll(a.state, 60, 1060, [row('ann', '*1', 700, 60, 30)]);
    expect(b.observations.map((o) => o.ended)).to.deep.equal([true, false]);
  });

  it('detects a reboot by the router uptime going down and closes every known session', () => {
    const a = poll(emptyState(), 0, 5000, [row('ann', '*1', 500, 50, 120), row('bob', '*2', 7, 7, 120)]);
    // Same item ids and bigger counters after the reboot: only the uptime tells.
    const b = poll(a.state, 600, 400, [row('ann', '*1', 600, 60, 300)]);
    expect(b.rebooted).to.equal(true);
    expect(b.observations.map((o) => [o.login, o.ended, o.terminateCause ?? null])).to.deep.equal([
      ['ann', false, null],
      ['ann', true, 'router-reboot'],
      ['bob', true, 'router-reboot'],
    ]);
  });

  it('detects a reboot when the router has been up for less time than passed since the last poll', () => {
    const a = poll(emptyState(), 0, 30, [row('ann', '*1', 500, 50, 20)]);
    const b = poll(a.state, 60, 30, [row('ann', '*1', 600, 60, 25)]);
    expect(b.rebooted).to.equal(true);
  });

  it('leaves sessions of kinds not collected this time untouched', () => {
    const a = poll(emptyState(), 0, 1000, [row('ann', '*1', 500, 50, 120)]);
    const b = decidePoll(a.state, { routerName: 'bras1', observedAt: new Date(T0 + 60_000), routerUptimeSeconds: 1060, rows: [], kinds: new Set(['hotspot']), newRecordId });
    expect(b.observations).to.deep.equal([]);
    expect(Object.keys(b.state.sessions)).to.have.length(1);
  });

  it('round-trips its state through JSON (what the state file holds)', () => {
    const a = poll(emptyState(), 0, 1000, [row('ann', '*1', 500, 50, 120)]);
    const restored = JSON.parse(JSON.stringify(a.state)) as PollerState;
    expect(poll(restored, 60, 1060, [row('ann', '*1', 500, 50, 180)]).observations).to.deep.equal([]);
  });
});

/**
 * Property: whatever happens on the router (traffic, reconnects, counter resets, disappearances,
 * reboots), if the plugin sums the last counters of every session id, it gets exactly what the
 * router's sessions had at the last poll that saw them, and no session's counters ever go down.
 */
describe('poll decisions (property)', () => {
  type Op =
    | { op: 'traffic'; who: number; down: number; up: number }
    | { op: 'reconnect'; who: number }
    | { op: 'reset'; who: number }
    | { op: 'vanish'; who: number }
    | { op: 'connect'; who: number }
    | { op: 'reboot' }
    | { op: 'poll' };

  const LOGINS = ['ann', 'bob', 'cid', 'dee'];
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('traffic' as const), who: fc.nat(3), down: fc.nat(1_000_000), up: fc.nat(100_000) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reconnect' as const), who: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), who: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('vanish' as const), who: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('connect' as const), who: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.constant({ op: 'reboot' as const }) },
    { weight: 4, arbitrary: fc.constant({ op: 'poll' as const }) },
  );

  interface Life {
    login: string;
    itemId: string;
    start: number;
    down: bigint;
    up: bigint;
    /** Counters as of the last poll that saw this life (what can be known). */
    seen: { down: bigint; up: bigint } | null;
    /** After a reset, traffic waits for a poll (a reset overtaken by more traffic is invisible). */
    frozen: boolean;
  }

  it('sums to the router truth at the polls, with no counter ever going down', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        let t = 0; // seconds; polls every 60 s, events in between
        let bootAt = -100_000;
        let nextItem = 1;
        let state = emptyState();
        const live = new Map<string, Life>();
        const finished: Life[] = [];
        const last = new Map<string, { down: bigint; up: bigint; ended: boolean }>();
        const end = (l: Life) => {
          live.delete(l.login);
          finished.push(l);
        };
        const open = (login: string) => {
          live.set(login, { login, itemId: `*${(nextItem++).toString(16)}`, start: t, down: 0n, up: 0n, seen: null, frozen: false });
        };
        const doPoll = () => {
          t = Math.floor(t / 60) * 60 + 60;
          const rows = [...live.values()].map((l) => ({ kind: 'ppp' as const, itemId: l.itemId, login: l.login, uptimeSeconds: t - l.start, download: l.down, upload: l.up }));
          const out = decidePoll(state, { routerName: 'r', observedAt: new Date(T0 + t * 1000), routerUptimeSeconds: t - bootAt, rows, kinds: PPP, newRecordId });
          for (const o of out.observations) {
            const prev = last.get(o.sessionId);
            expect(prev?.ended ?? false, `observation after end of ${o.sessionId}`).to.equal(false);
            if (prev) {
              expect(BigInt(o.downloadOctets) >= prev.down).to.equal(true);
              expect(BigInt(o.uploadOctets) >= prev.up).to.equal(true);
            }
            last.set(o.sessionId, { down: BigInt(o.downloadOctets), up: BigInt(o.uploadOctets), ended: o.ended });
          }
          for (const l of live.values()) {
            l.seen = { down: l.down, up: l.up };
            l.frozen = false;
          }
          state = JSON.parse(JSON.stringify(out.state)) as PollerState;
        };
        for (const op of ops) {
          if (op.op === 'poll') {
            doPoll();
            continue;
          }
          t = Math.floor(t / 60) * 60 + 30;
          if (op.op === 'reboot') {
            for (const l of [...live.values()]) end(l);
            bootAt = t;
            nextItem = 1; // item ids restart after a reboot
            continue;
          }
          const login = LOGINS[op.who]!;
          const l = live.get(login);
          if (op.op === 'connect') {
            if (!l) open(login);
          } else if (!l) {
            continue;
          } else if (op.op === 'traffic') {
            if (!l.frozen) {
              l.down += BigInt(op.down);
              l.up += BigInt(op.up);
            }
          } else if (op.op === 'reconnect') {
            end(l);
            open(login);
          } else if (op.op === 'vanish') {
            end(l);
          } else if (op.op === 'reset') {
            // Same item, counters back to zero: the old life ends, a new one continues in its place.
            finished.push({ ...l });
            l.down = 0n;
            l.up = 0n;
            l.seen = null;
            l.frozen = true;
          }
        }
        doPoll();
        const truth = [...finished, ...live.values()].reduce(
          (acc, l) => ({ down: acc.down + (l.seen?.down ?? 0n), up: acc.up + (l.seen?.up ?? 0n) }),
          { down: 0n, up: 0n },
        );
        const observed = [...last.values()].reduce((acc, o) => ({ down: acc.down + o.down, up: acc.up + o.up }), { down: 0n, up: 0n });
        expect(observed).to.deep.equal(truth);
      }),
      { numRuns: 500 },
    );
  });
});
