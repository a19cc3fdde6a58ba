import { expect } from 'chai';
import { RouterModel, SimulatorError } from '../../../../agent/simulator/model.js';
import { ManualClock } from '../../../../plugin/common/clock.js';

function model(clock = new ManualClock('2026-03-01T00:00:00Z')): RouterModel {
  return new RouterModel({
    clock,
    version: '7.18.2',
    identity: 'bras1',
    boardName: 'CCR2004',
    users: [{ name: 'admin', password: '' }],
    defaultRates: { downloadBps: 1000, uploadBps: 100 },
  });
}

describe('simulated router traffic model', () => {
  it('grows a session counters at the configured rates as the clock moves', () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const m = model(clock);
    m.addSecret('ann');
    const s = m.connect('ann', { rates: { downloadBps: 2000, uploadBps: 300 } });
    clock.advance(10_000);
    expect(s.download.value(m.nowMs())).to.equal(20_000n);
    expect(s.upload.value(m.nowMs())).to.equal(3_000n);
  });

  it('starts a reconnected subscriber with a new session and counters from zero', () => {
    const clock = new ManualClock();
    const m = model(clock);
    m.addSecret('ann');
    const first = m.connect('ann');
    clock.advance(5000);
    const second = m.reconnect('ann');
    expect(second.id).to.not.equal(first.id);
    expect(second.download.value(m.nowMs())).to.equal(0n);
    expect(m.truth().get('ann')).to.deep.equal({ download: 5000n, upload: 500n });
  });

  it('refuses to connect a subscriber whose PPP secret is disabled', () => {
    const m = model();
    m.addSecret('ann', { disabled: true });
    expect(() => m.connect('ann')).to.throw(SimulatorError, /disabled/);
  });

  it('drops every session and restarts uptime on reboot, keeping secrets', () => {
    const clock = new ManualClock();
    const m = model(clock);
    m.populate(3);
    clock.advance(60_000);
    expect(m.uptimeSeconds()).to.equal(60);
    m.reboot();
    expect(m.sessions.size).to.equal(0);
    expect(m.uptimeSeconds()).to.equal(0);
    expect(m.secrets.size).to.equal(3);
    expect(m.truth().get('user0001')).to.deep.equal({ download: 60_000n, upload: 6_000n });
  });

  it('keeps static address-list entries across a reboot and loses dynamic ones', () => {
    const m = model();
    m.addAddressListEntry('blocked', '10.0.0.1');
    m.addAddressListEntry('blocked', '10.0.0.2', { timeoutSeconds: 3600 });
    m.reboot();
    expect([...m.addressList.values()].map((e) => e.address)).to.deep.equal(['10.0.0.1']);
  });

  it('expires a dynamic address-list entry when its timeout passes', () => {
    const clock = new ManualClock();
    const m = model(clock);
    m.addAddressListEntry('blocked', '10.0.0.2', { timeoutSeconds: 60 });
    clock.advance(59_000);
    m.expireAddressList();
    expect(m.addressList.size).to.equal(1);
    clock.advance(1_000);
    m.expireAddressList();
    expect(m.addressList.size).to.equal(0);
  });

  it('refuses a duplicate address-list entry with the RouterOS text', () => {
    const m = model();
    m.addAddressListEntry('blocked', '10.0.0.1');
    expect(() => m.addAddressListEntry('blocked', '10.0.0.1')).to.throw('failure: already have such entry');
  });

  it('tells 7.18+ (sends !empty) from older versions', () => {
    expect(model().sendsEmpty).to.equal(true);
    const old = new RouterModel({ clock: new ManualClock(), version: '6.49.15', identity: 'x', boardName: 'x', users: [], defaultRates: { downloadBps: 0, uploadBps: 0 } });
    expect(old.sendsEmpty).to.equal(false);
    const v717 = new RouterModel({ clock: new ManualClock(), version: '7.17.2', identity: 'x', boardName: 'x', users: [], defaultRates: { downloadBps: 0, uploadBps: 0 } });
    expect(v717.sendsEmpty).to.equal(false);
  });
});
