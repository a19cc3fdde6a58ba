import { expect } from 'chai';
import { planRouter, serviceIdOf, type PlanSettings, type RouterView } from '../../../../agent/enforcer/plan.js';
import type { EnforcementItem } from '../../../../plugin/common/wire.js';

const item = (serviceId: number, login: string, desired: EnforcementItem['desired'], rate: string | null = null): EnforcementItem => ({ serviceId, login, device: 'r', desired, rate, version: 1 });
const view = (over: Partial<RouterView> = {}): RouterView => ({
  addressList: [],
  addresses: new Map([['alice', '10.0.0.2']]),
  secrets: new Map([['alice', { id: '*1', disabled: false }]]),
  pppActive: new Map([['alice', ['*80000001']]]),
  hotspotUsers: new Map(),
  hotspotActive: new Map(),
  queues: [],
  ...over,
});
const LIST: PlanSettings = { suspend: 'address-list', throttle: 'queue', list: 'blocked' };

describe('enforcement plan for a RouterOS router', () => {
  it('a suspended subscriber without an entry gets one on its current address, commented with the service id', () => {
    expect(planRouter([item(7, 'alice', 'suspended')], view(), LIST, 'items').actions).to.deep.equal([
      { kind: 'address-add', serviceId: 7, list: 'blocked', address: '10.0.0.2', comment: 'octet:7' },
    ]);
  });

  it('an entry already there plans nothing; an entry on an old address is moved; duplicates are removed', () => {
    expect(planRouter([item(7, 'alice', 'suspended')], view({ addressList: [{ id: '*A', address: '10.0.0.2', serviceId: 7 }] }), LIST, 'full').actions).to.deep.equal([]);
    const moved = view({ addressList: [{ id: '*A', address: '10.0.0.9', serviceId: 7 }, { id: '*B', address: '10.0.0.2', serviceId: 7 }] });
    expect(planRouter([item(7, 'alice', 'suspended')], moved, LIST, 'items').actions).to.deep.equal([
      { kind: 'address-set', serviceId: 7, id: '*A', address: '10.0.0.2' },
      { kind: 'address-remove', serviceId: 7, id: '*B' },
    ]);
  });

  it('active removes the entry; a full run also removes entries of services no longer desired, but never entries without our comment', () => {
    const v = view({ addressList: [{ id: '*A', address: '10.0.0.2', serviceId: 7 }, { id: '*C', address: '10.0.0.5', serviceId: 99 }] });
    expect(planRouter([item(7, 'alice', 'active')], v, LIST, 'items').actions).to.deep.equal([{ kind: 'address-remove', serviceId: 7, id: '*A' }]);
    expect(planRouter([item(7, 'alice', 'active')], v, LIST, 'full').actions).to.deep.equal([
      { kind: 'address-remove', serviceId: 7, id: '*A' },
      { kind: 'address-remove', serviceId: 99, id: '*C' },
    ]);
  });

  it('a subscriber with no address on the router is a problem, not a change', () => {
    const plan = planRouter([item(8, 'bob', 'suspended')], view(), LIST, 'items');
    expect(plan.actions).to.deep.equal([]);
    expect(plan.problems.get(8)).to.equal('no address known for bob on the router (not connected, no remote-address)');
  });

  it('PPP: suspended disables the secret and removes its session; active enables a disabled secret', () => {
    const s: PlanSettings = { suspend: 'ppp', throttle: 'none', list: 'x' };
    expect(planRouter([item(7, 'alice', 'suspended')], view(), s, 'items').actions).to.deep.equal([
      { kind: 'secret-set', serviceId: 7, id: '*1', disabled: true },
      { kind: 'ppp-kick', serviceId: 7, id: '*80000001' },
    ]);
    const disabled = view({ secrets: new Map([['alice', { id: '*1', disabled: true }]]), pppActive: new Map() });
    expect(planRouter([item(7, 'alice', 'suspended')], disabled, s, 'items').actions).to.deep.equal([]);
    expect(planRouter([item(7, 'alice', 'active')], disabled, s, 'items').actions).to.deep.equal([{ kind: 'secret-set', serviceId: 7, id: '*1', disabled: false }]);
  });

  it('throttled adds a queue at the rate, a changed rate is set, and active removes it', () => {
    expect(planRouter([item(7, 'alice', 'throttled', '1M/4M')], view(), LIST, 'items').actions).to.deep.equal([
      { kind: 'queue-add', serviceId: 7, name: 'octet-7', target: '10.0.0.2/32', maxLimit: '1M/4M', comment: 'octet:7' },
    ]);
    const q = view({ queues: [{ id: '*1001', serviceId: 7, target: '10.0.0.2/32', maxLimit: '1M/4M' }] });
    expect(planRouter([item(7, 'alice', 'throttled', '1M/4M')], q, LIST, 'full').actions).to.deep.equal([]);
    expect(planRouter([item(7, 'alice', 'throttled', '2M/8M')], q, LIST, 'items').actions).to.deep.equal([{ kind: 'queue-set', serviceId: 7, id: '*1001', target: '10.0.0.2/32', maxLimit: '2M/8M' }]);
    expect(planRouter([item(7, 'alice', 'active')], q, LIST, 'items').actions).to.deep.equal([{ kind: 'queue-remove', serviceId: 7, id: '*1001' }]);
  });

  it('reads service ids only from comments and names Octet wrote', () => {
    expect(serviceIdOf('octet:42', 'octet:')).to.equal(42);
    for (const other of ['octet:', 'octet:042', 'octet:4x', 'staff', 'xoctet:4']) expect(serviceIdOf(other, 'octet:')).to.equal(null);
  });

  describe('fair-use throttling by PPP profile', () => {
    const PROFILE: PlanSettings = { suspend: 'address-list', throttle: 'profile', list: 'blocked', throttleProfile: 'fair-use' };
    const secret = (profile: string, comment = '') => view({ secrets: new Map([['alice', { id: '*1', disabled: false, profile, comment }]]) });

    it('throttled moves the secret to the throttled profile, keeping its own profile in the comment, and removes the session so the next login takes it', () => {
      expect(planRouter([item(7, 'alice', 'throttled', '1M/4M')], secret('home-50M', 'flat 4'), PROFILE, 'items').actions).to.deep.equal([
        { kind: 'secret-profile-set', serviceId: 7, id: '*1', profile: 'fair-use', comment: 'octet-was-profile=home-50M;flat 4' },
        { kind: 'ppp-kick', serviceId: 7, id: '*80000001' },
      ]);
    });

    it('a secret already on the throttled profile plans nothing, however often it is asked', () => {
      expect(planRouter([item(7, 'alice', 'throttled', '1M/4M')], secret('fair-use', 'octet-was-profile=home-50M;flat 4'), PROFILE, 'full').actions).to.deep.equal([]);
    });

    it('active moves the secret back to the profile it had, restores its comment and logs the session in again', () => {
      expect(planRouter([item(7, 'alice', 'active')], secret('fair-use', 'octet-was-profile=home-50M;flat 4'), PROFILE, 'items').actions).to.deep.equal([
        { kind: 'secret-profile-set', serviceId: 7, id: '*1', profile: 'home-50M', comment: 'flat 4' },
        { kind: 'ppp-kick', serviceId: 7, id: '*80000001' },
      ]);
      expect(planRouter([item(7, 'alice', 'active')], secret('home-50M', 'flat 4'), PROFILE, 'full').actions).to.deep.equal([]);
    });

    it('leaves alone a secret staff put on the throttled profile themselves (no Octet mark)', () => {
      expect(planRouter([item(7, 'alice', 'active')], secret('fair-use', 'slow on request'), PROFILE, 'full').actions).to.deep.equal([]);
    });

    it('a missing secret is a problem, not a change', () => {
      const plan = planRouter([item(8, 'bob', 'throttled', '1M/4M')], secret('default'), PROFILE, 'items');
      expect(plan.actions).to.deep.equal([]);
      expect(plan.problems.get(8)).to.equal('no PPP secret named bob on the router');
    });

    it('reconciliation moves back a secret Octet throttled for a service no longer in the desired state', () => {
      expect(planRouter([], secret('fair-use', 'octet-was-profile=home-50M;'), PROFILE, 'full').actions).to.deep.equal([
        { kind: 'secret-profile-set', serviceId: 0, id: '*1', profile: 'home-50M', comment: '' },
      ]);
      expect(planRouter([], secret('fair-use', 'octet-was-profile=home-50M;'), PROFILE, 'items').actions).to.deep.equal([]);
    });
  });
});

