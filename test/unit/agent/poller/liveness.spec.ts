import { expect } from 'chai';
import { decidePoll, emptyState, type PollerState, type SessionKind, type SessionRow } from '../../../../agent/poller/decide.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { sessionIntervals } from '../../../../plugin/usage/counters.js';

/**
 * Issue 12, item 19: an idle but connected subscriber vanished from Live sessions after the
 * plugin's liveWindowMinutes, because the poller reported only changed counters.
 */
const T0 = Date.parse('2026-03-01T10:00:00Z');
const PPP = new Set<SessionKind>(['ppp']);
let ids = 0;

function poll(prev: PollerState, atSeconds: number, rows: SessionRow[]) {
  return decidePoll(prev, {
    routerName: 'bras1',
    observedAt: new Date(T0 + atSeconds * 1000),
    routerUptimeSeconds: 100_000 + atSeconds,
    rows,
    kinds: PPP,
    newRecordId: () => `r${++ids}`,
    reportUnchangedAfterMs: 600_000,
  });
}
const idle = (uptime: number): SessionRow => ({ kind: 'ppp', itemId: '*80000001', login: 'ann', uptimeSeconds: uptime, download: 5000n, upload: 700n });

describe('liveness of idle polled sessions', () => {
  it('reports an idle but connected session again every reportUnchangedEverySeconds, with the same counters', () => {
    let state = emptyState();
    const records: SessionObservation[] = [];
    for (let t = 0; t <= 1800; t += 60) {
      const out = poll(state, t, [idle(60 + t)]);
      records.push(...out.observations);
      state = out.state;
    }
    // first sighting, then a repeat at 10, 20 and 30 minutes: never more than 10 minutes apart
    expect(records.map((r) => (Date.parse(r.observedAt) - T0) / 60_000)).to.deep.equal([0, 10, 20, 30]);
    expect(new Set(records.map((r) => r.sessionId)).size).to.equal(1);
    expect(records.every((r) => r.downloadOctets === '5000' && r.uploadOctets === '700' && !r.ended)).to.equal(true);
  });

  it('adds no byte with its repeats: the plugin counts the idle session as its counters, once', () => {
    let state = emptyState();
    const records: SessionObservation[] = [];
    for (let t = 0; t <= 3600; t += 60) {
      const out = poll(state, t, [idle(60 + t)]);
      records.push(...out.observations);
      state = out.state;
    }
    const points = records.map((r) => ({ atMs: Date.parse(r.observedAt), download: BigInt(r.downloadOctets), upload: BigInt(r.uploadOctets) }));
    const { intervals } = sessionIntervals({ points, anchor: null, sessionStartMs: null });
    expect(intervals.reduce((n, i) => n + i.download, 0n)).to.equal(5000n);
    expect(intervals.reduce((n, i) => n + i.upload, 0n)).to.equal(700n);
  });

  it('marks the close of a vanished session as made up by the agent (synthetic)', () => {
    const first = poll(emptyState(), 0, [idle(60)]);
    const gone = poll(first.state, 60, []);
    expect(gone.observations).to.have.length(1);
    expect(gone.observations[0]).to.include({ ended: true, synthetic: true, terminateCause: 'session-vanished' });
  });
});
