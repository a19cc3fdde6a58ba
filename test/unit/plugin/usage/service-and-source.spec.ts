import { expect } from 'chai';
import { hourlyRows } from '../../../../plugin/usage/hourly-rows.js';
import { serviceForDate } from '../../../../plugin/usage/service-match.js';
import { chooseSource } from '../../../../plugin/usage/source-choice.js';

describe('which service and which source usage counts for', () => {
  const spans = [
    { id: 1, login: 'alice', startDate: '2026-01-01', endDate: '2026-03-10' },
    { id: 2, login: 'alice', startDate: '2026-03-11', endDate: null },
  ];

  it('gives a date to the service live on it (start and end dates inclusive)', () => {
    expect(serviceForDate(spans, '2026-03-10')?.id).to.equal(1);
    expect(serviceForDate(spans, '2026-03-11')?.id).to.equal(2);
    expect(serviceForDate(spans, '2025-12-31')).to.equal(null);
  });

  it('counts RADIUS alone where RADIUS and polling both report a login in an hour', () => {
    const chosen = chooseSource([
      { source: 'poll', download: 105n, upload: 10n },
      { source: 'radius', download: 100n, upload: 9n },
    ]);
    expect(chosen).to.deep.equal({ source: 'radius', download: 100n, upload: 9n });
  });

  it('counts polling where RADIUS saw nothing of the login', () => {
    expect(chooseSource([{ source: 'poll', download: 5n, upload: 1n }])).to.deep.equal({ source: 'poll', download: 5n, upload: 1n });
  });

  it('resolves the service by the local date of the hour (ISP time zone)', () => {
    // 23:00 UTC on 10 March is already 11 March in Berlin.
    const rows = hourlyRows(
      [{ login: 'alice', hourMs: Date.UTC(2026, 2, 10, 23), source: 'radius', download: 7n, upload: 1n }, { login: 'bob', hourMs: Date.UTC(2026, 2, 10, 23), source: 'poll', download: 3n, upload: 0n }],
      spans,
      'Europe/Berlin',
    );
    expect(rows.map((r) => [r.login, r.serviceId])).to.deep.equal([['alice', 2], ['bob', null]]);
  });
});
