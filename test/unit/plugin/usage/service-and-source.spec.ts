import { expect } from 'chai';
import { hourlyRows } from '../../../../plugin/usage/hourly-rows.js';
import { heldSpans, ownerAt } from '../../../../plugin/usage/service-match.js';
import { duplicatedPolledSessions, type SessionTime } from '../../../../plugin/usage/source-choice.js';

const TZ = 'Europe/Berlin';
const at = (iso: string) => Date.parse(iso);

describe('which service and which source usage counts for', () => {
  const spans = heldSpans(
    [
      { id: 1, login: 'alice', startDate: '2026-01-01', endDate: '2026-03-10', createdAtMs: at('2025-12-20T09:00:00Z') },
      { id: 2, login: 'alice', startDate: '2026-03-11', endDate: null, createdAtMs: at('2026-03-09T09:00:00Z') },
    ],
    TZ,
  );

  it('gives an instant to the service whose dates cover it (start and end dates inclusive, ISP time zone)', () => {
    expect(ownerAt(spans, at('2026-03-10T22:59:00Z'))).to.equal(1);
    // 23:00 UTC on 10 March is already 11 March in Berlin.
    expect(ownerAt(spans, at('2026-03-10T23:00:00Z'))).to.equal(2);
    expect(ownerAt(spans, at('2025-12-31T22:00:00Z'))).to.equal(null);
  });

  it('splits a handover day at the new service\'s creation, not at the date', () => {
    const handover = heldSpans(
      [
        { id: 1, login: 'bob', startDate: '2026-01-01', endDate: '2026-03-10', createdAtMs: at('2025-12-20T09:00:00Z') },
        { id: 2, login: 'bob', startDate: '2026-03-10', endDate: null, createdAtMs: at('2026-03-10T13:00:00Z') },
      ],
      TZ,
    );
    expect(ownerAt(handover, at('2026-03-10T12:45:00Z'))).to.equal(1);
    expect(ownerAt(handover, at('2026-03-10T13:00:00Z'))).to.equal(2);
    expect(ownerAt(handover, at('2026-03-11T08:00:00Z'))).to.equal(2);
  });

  it('gives a new service the unassigned usage of its dates from before it was created', () => {
    const late = heldSpans([{ id: 7, login: 'carol', startDate: '2026-03-01', endDate: null, createdAtMs: at('2026-03-20T10:00:00Z') }], TZ);
    expect(ownerAt(late, at('2026-03-02T10:00:00Z'))).to.equal(7);
  });

  const s = (id: string, source: 'radius' | 'poll', from: string, to: string, login = 'alice'): SessionTime => ({ id, login, source, startMs: at(from), endMs: at(to) });

  it('does not count a polled session that overlaps a RADIUS session of the same login', () => {
    const skip = duplicatedPolledSessions([s('r', 'radius', '2026-03-02T10:05:00Z', '2026-03-02T10:35:00Z'), s('p', 'poll', '2026-03-02T10:06:00Z', '2026-03-02T10:36:00Z')]);
    expect([...skip]).to.deep.equal(['p']);
  });

  it('counts in full a polled session that overlaps no RADIUS session, even in an hour RADIUS reports the login', () => {
    const sessions = [s('p', 'poll', '2026-03-02T10:00:00Z', '2026-03-02T10:20:00Z'), s('r', 'radius', '2026-03-02T10:30:00Z', '2026-03-02T10:55:00Z'), s('q', 'poll', '2026-03-02T10:00:00Z', '2026-03-02T10:50:00Z', 'bob')];
    expect([...duplicatedPolledSessions(sessions)]).to.deep.equal([]);
    const rows = hourlyRows(
      [
        { sessionId: 'p', bucketMs: at('2026-03-02T10:00:00Z'), download: 300n, upload: 30n },
        { sessionId: 'r', bucketMs: at('2026-03-02T10:00:00Z'), download: 700n, upload: 70n },
      ],
      sessions,
      () => 5,
    );
    expect(rows.map((r) => [r.login, r.source, r.download, r.upload, r.serviceId])).to.deep.equal([['alice', 'mixed', 1000n, 100n, 5]]);
  });
});
