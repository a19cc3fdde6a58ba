import { expect } from 'chai';
import { aaaAnswer, loginOf } from '../../../../plugin/enforcement/aaa.js';
import { fairUseAction } from '../../../../plugin/enforcement/fair-use.js';
import { initialRow, isConfirmed, nextDesired, normalRate } from '../../../../plugin/enforcement/state.js';
import { tariffSchema } from '../../../../plugin/rating/tariff.js';
import { Dec } from '../../../../plugin/common/money.js';

const GB = 1_000_000_000n;
const cause = { kind: 'dunning' as const, detail: 'invoice 2026-0007 overdue 14 days', actor: 'system:dunning' };
const now = new Date('2026-03-02T10:00:00Z');

describe('the desired-state rule', () => {
  it('gives a service never touched version 1 when it is first suspended', () => {
    expect(nextDesired(null, 7, 'suspended', null, cause, now)).to.deep.include({ serviceId: 7, desired: 'suspended', version: 1, rate: null });
  });

  it('changes nothing (no new version) when the service is already in that state and rate', () => {
    const row = { ...initialRow(7), ...nextDesired(null, 7, 'suspended', null, cause, now)! };
    expect(nextDesired(row, 7, 'suspended', null, { ...cause, detail: 'again' }, now)).to.equal(null);
    expect(nextDesired(initialRow(7), 7, 'active', null, cause, now)).to.equal(null);
  });

  it('counts a new throttle rate as a change', () => {
    const row = { ...initialRow(7), ...nextDesired(null, 7, 'throttled', '2M/2M', cause, now)! };
    expect(nextDesired(row, 7, 'throttled', '1M/1M', cause, now)?.version).to.equal(2);
  });

  it('keeps a rate only for a throttled service', () => {
    expect([normalRate('suspended', '2M/2M'), normalRate('throttled', '2M/2M')]).to.deep.equal([null, '2M/2M']);
  });

  it('calls a change confirmed only when the agent applied this very version without error', () => {
    expect(isConfirmed({ version: 3, appliedVersion: 3, error: null })).to.equal(true);
    expect(isConfirmed({ version: 3, appliedVersion: 2, error: null })).to.equal(false);
    expect(isConfirmed({ version: 3, appliedVersion: 3, error: 'router unreachable' })).to.equal(false);
  });
});

describe('the RADIUS authorize answer', () => {
  const opts = { suspendedAddressList: 'octet-suspended' };
  it('answers notfound (404) for an unknown login and ok with nothing (204) for an active one', () => {
    expect(aaaAnswer(null, opts)).to.deep.equal({ status: 404 });
    expect(aaaAnswer({ desired: 'active', rate: null }, opts)).to.deep.equal({ status: 204 });
  });

  it('puts a suspended subscriber in the address list and gives a throttled one its rate, never xlat-expanded', () => {
    expect(aaaAnswer({ desired: 'suspended', rate: null }, opts)).to.deep.equal({ status: 200, body: { 'reply:Mikrotik-Address-List': { op: ':=', value: 'octet-suspended', do_xlat: false } } });
    expect(aaaAnswer({ desired: 'throttled', rate: '1M/1M' }, opts)).to.deep.equal({ status: 200, body: { 'reply:Mikrotik-Rate-Limit': { op: ':=', value: '1M/1M', do_xlat: false } } });
  });

  it('refuses (401, reject) a login staff suspended, with the reason as Reply-Message, whatever billing wants', () => {
    const refused = { status: 401, body: { 'reply:Reply-Message': { op: ':=', value: 'service suspended by staff', do_xlat: false } } };
    expect(aaaAnswer({ desired: 'active', rate: null, refusal: 'service suspended by staff' }, opts)).to.deep.equal(refused);
    expect(aaaAnswer({ desired: 'throttled', rate: '1M/1M', refusal: 'service suspended by staff' }, opts)).to.deep.equal(refused);
    expect(aaaAnswer({ desired: 'active', rate: null, refusal: null }, opts)).to.deep.equal({ status: 204 });
  });

  it("reads the login from rlm_rest's JSON body or from {login}", () => {
    expect(loginOf({ 'User-Name': { type: 'string', value: ['bob'] }, 'User-Password': { type: 'string', value: ['pw'] } })).to.equal('bob');
    expect(loginOf({ login: 'alice' })).to.equal('alice');
    expect([loginOf(null), loginOf({}), loginOf({ 'User-Name': { value: [] } })]).to.deep.equal([null, null, null]);
  });
});

describe('the fair-use rule', () => {
  const tariff = tariffSchema.parse({
    code: 'FUP',
    name: 'Fair use',
    currency: 'EUR',
    recurringFee: '20',
    usage: { direction: 'both', unit: 'GB', charge: { model: 'per_unit', unitPrice: '0' }, fairUse: { capUnits: '100', throttleRate: '2M/2M' } },
  });
  const used = (gb: bigint) => ({ bands: [{ band: null, download: (gb * GB) / 2n, upload: (gb * GB) / 2n }] });
  const active = { desired: 'active' as const, rate: null, causeKind: null };
  const mine = { desired: 'throttled' as const, rate: '2M/2M', causeKind: 'fair_use' as const };

  it('throttles a service past its cap to the tariff rate, and leaves one at the cap alone', () => {
    expect(fairUseAction(tariff, used(101n), active, '2026-03-01')).to.deep.include({ desired: 'throttled', rate: '2M/2M' });
    expect(fairUseAction(tariff, used(100n), active, '2026-03-01')).to.equal(null);
  });

  it('lifts its own throttle when the new period starts under the cap, and only its own', () => {
    expect(fairUseAction(tariff, used(0n), mine, '2026-04-01')).to.deep.include({ desired: 'active' });
    expect(fairUseAction(tariff, used(0n), { ...mine, causeKind: 'staff' }, '2026-04-01')).to.equal(null);
    expect(fairUseAction(tariff, used(101n), mine, '2026-03-01')).to.equal(null);
  });

  it('prorates the cap for a service that runs part of the period, as the invoice does', () => {
    expect(fairUseAction(tariff, used(60n), active, '2026-03-01', new Dec(15).div(30))).to.deep.include({ desired: 'throttled' });
    expect(fairUseAction(tariff, used(50n), active, '2026-03-01', new Dec(15).div(30))).to.equal(null);
  });

  it('never touches a suspended service', () => {
    expect(fairUseAction(tariff, used(500n), { desired: 'suspended', rate: null, causeKind: 'dunning' }, '2026-03-01')).to.equal(null);
  });
});
