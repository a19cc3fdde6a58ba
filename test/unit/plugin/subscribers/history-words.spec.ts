import { expect } from 'chai';
import { actorLabel, describeHistoryEntry } from '../../../../plugin/subscribers/changes.js';

const names = { staff: new Map([[3, 'Grace Hopper']]), tokens: new Map([[7, 'crm sync']]) };
const entry = (action: string, details: Record<string, unknown> | null, entityType = 'account', entityId: string | null = '1') => ({ actor: 'user:3', action, entityType, entityId, details });

describe('account history in words', () => {
  it('names who did it: staff by name, tokens by name, the command line, agents and Octet itself', () => {
    expect(['user:3', 'user:4', 'token:7', 'token:8', 'cli', 'agent:pop-north', 'system:dunning'].map((a) => actorLabel(a, names))).to.deep.equal([
      'Grace Hopper',
      'staff member #4 (no longer exists)',
      'API token “crm sync”',
      'API token #8',
      'command line (octet)',
      'agent pop-north',
      'Octet (dunning)',
    ]);
  });

  it('says which fields of an account changed, from what to what, with empty values said as such', () => {
    const line = describeHistoryEntry(entry('account.update', { changes: { email: { from: 'a@x.net', to: 'b@x.net' }, phone: { from: null, to: '+49 1' }, taxExempt: { from: false, to: true } } }), names, new Map());
    expect(line).to.deep.equal({
      who: 'Grace Hopper',
      what: 'Changed the account',
      changes: [
        { field: 'E-mail', from: 'a@x.net', to: 'b@x.net' },
        { field: 'Phone', from: '(empty)', to: '+49 1' },
        { field: 'Tax exempt', from: 'no', to: 'yes' },
      ],
    });
  });

  it('names a service by its login, and says when unassigned usage came with it', () => {
    const created = describeHistoryEntry(entry('service.create', { accountId: 1, login: 'kaethe@ppp', tariff: 'home-100', adoptedUsageRows: 12 }, 'service', '5'), names, new Map());
    expect(created.what).to.equal('Added service kaethe@ppp (took over 12 hour(s) of unassigned usage)');
    expect(created.changes).to.deep.equal([{ field: 'Tariff', from: null, to: 'home-100' }]);
    const updated = describeHistoryEntry(entry('service.update', { changes: { tariff: { from: 'home-100', to: 'home-200' } } }, 'service', '5'), names, new Map([['5', 'kaethe@ppp']]));
    expect(updated.what).to.equal('Changed service kaethe@ppp');
    const ended = describeHistoryEntry(entry('service.end', { login: 'kaethe@ppp', endDate: '2026-04-30' }, 'service', '5'), names, new Map());
    expect(ended).to.deep.include({ what: 'Ended service kaethe@ppp', changes: [{ field: 'End date', from: '(empty)', to: '2026-04-30' }] });
  });
});
