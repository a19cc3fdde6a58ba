import { expect } from 'chai';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { OpenSessions } from '../../../../agent/radius/open-sessions.js';

function obs(sessionId: string, down: number, ended = false): SessionObservation {
  return {
    recordId: `${sessionId}-${down}`,
    source: 'radius',
    sourceName: 'bras1',
    login: 'alice',
    sessionId,
    sessionStart: '2026-03-01T09:00:00.000Z',
    observedAt: `2026-03-01T10:00:${String(down % 60).padStart(2, '0')}.000Z`,
    downloadOctets: String(down),
    uploadOctets: String(down * 2),
    ended,
  };
}

describe('RADIUS open sessions', () => {
  it('keeps the last counters of an interim for each open session', () => {
    const t = new OpenSessions();
    t.apply(obs('s1', 10));
    t.apply(obs('s1', 25));
    expect(t.size).to.equal(1);
    expect(t.openFor('bras1').map((o) => [o.downloadOctets, o.uploadOctets, o.observedAt])).to.deep.equal([['25', '50', '2026-03-01T10:00:25.000Z']]);
  });

  it('forgets a session once it stopped', () => {
    const t = new OpenSessions();
    t.apply(obs('s1', 10));
    t.apply(obs('s1', 12, true));
    expect(t.size).to.equal(0);
    expect(t.openFor('bras1')).to.deep.equal([]);
  });

  it('hands a snapshot copies that later interims do not change', () => {
    const t = new OpenSessions();
    t.apply(obs('s1', 10));
    const snap = t.all();
    t.apply(obs('s1', 99));
    t.apply(obs('s2', 5));
    expect(snap.map((s) => [s.sessionId, s.down, s.up])).to.deep.equal([['s1', '10', '20']]);
    expect(t.all().map((s) => [s.sessionId, s.down])).to.deep.equal([['s1', '99'], ['s2', '5']]);
  });
});
