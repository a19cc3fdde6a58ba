import { expect } from 'chai';
import { mergeUnclaimed, proposalFor } from '../../../../plugin/subscribers/unclaimed.service.js';

const sighting = (login: string, over: Record<string, unknown> = {}) => ({ login, routerName: 'r1', kind: 'ppp' as const, profile: null, disabled: false, comment: null, ...over });
const usage = (login: string, firstHour: string) => ({ login, download: 1n, upload: 2n, firstHour: new Date(firstHour), lastHour: new Date(firstHour) });

describe('unclaimed logins', () => {
  it('merges router sightings and unassigned usage by login, sorted', () => {
    const merged = mergeUnclaimed([sighting('b'), sighting('a'), sighting('b', { routerName: 'r2' })], [usage('c', '2026-03-01T00:00:00Z'), usage('a', '2026-03-01T00:00:00Z')]);
    expect(merged.map((m) => [m.login, m.sightings.length, m.usage !== null])).to.deep.equal([
      ['a', 1, true],
      ['b', 2, false],
      ['c', 0, true],
    ]);
  });

  it('names the account after the router comment, else the login, and starts the service with its first usage', () => {
    const [m] = mergeUnclaimed([sighting('x', { comment: 'Jane Doe', profile: 'gold' })], [usage('x', '2026-02-27T23:30:00Z')]);
    expect(proposalFor(m!, '2026-03-05', 'Europe/Berlin')).to.deep.equal({ accountName: 'Jane Doe', login: 'x', nasName: 'r1', tariff: 'gold', startDate: '2026-02-28' });
    const [n] = mergeUnclaimed([], [usage('y', '2026-03-01T10:00:00Z')]);
    expect(proposalFor(n!, '2026-03-05', 'UTC')).to.include({ accountName: 'y', nasName: null, tariff: null, startDate: '2026-03-01' });
    const [o] = mergeUnclaimed([sighting('z')], []);
    expect(proposalFor(o!, '2026-03-05', 'UTC').startDate).to.equal('2026-03-05');
  });
});

describe('which accounts take new services', () => {
  it('takes them on active and suspended accounts, never on a closed one', async () => {
    const { acceptsNewServices } = await import('../../../../plugin/subscribers/subscribers.service.js');
    expect(['active', 'suspended', 'closed'].map((status) => acceptsNewServices({ status: status as 'active' }))).to.deep.equal([true, true, false]);
  });
});
