import { expect } from 'chai';
import { interpretAccounting, type SessionEvent } from '../../../../agent/radius/accounting.js';

const arrival = new Date('2026-03-01T12:00:00Z');
const base = { 'Acct-Status-Type': 'Interim-Update', 'Acct-Session-Id': 'abc', 'User-Name': 'bob' };

describe('interpreting an Accounting-Request', () => {
  it('combines gigawords and octets into 64-bit totals', () => {
    const e = interpretAccounting(
      { ...base, 'Acct-Output-Octets': 4294967295, 'Acct-Output-Gigawords': 4294967295 >>> 1, 'Acct-Input-Octets': 1, 'Acct-Input-Gigawords': 2 },
      'rfc',
      arrival,
    ) as SessionEvent;
    expect(e.download).to.equal(BigInt(4294967295 >>> 1) * 2n ** 32n + 4294967295n);
    expect(e.upload).to.equal(2n * 2n ** 32n + 1n);
  });

  it('takes download from Acct-Output-Octets by the RFC and from Acct-Input-Octets when swapped', () => {
    const attrs = { ...base, 'Acct-Output-Octets': 100, 'Acct-Input-Octets': 7 };
    expect((interpretAccounting(attrs, 'rfc', arrival) as SessionEvent).download).to.equal(100n);
    expect((interpretAccounting(attrs, 'swapped', arrival) as SessionEvent).download).to.equal(7n);
  });

  it('uses the arrival time minus Acct-Delay-Time when there is no Event-Timestamp', () => {
    const e = interpretAccounting({ ...base, 'Acct-Delay-Time': 90 }, 'rfc', arrival) as SessionEvent;
    expect(e.observedAt.toISOString()).to.equal('2026-03-01T11:58:30.000Z');
    expect(e.sessionStart).to.equal(null);
  });

  it('starts a session at its Start event', () => {
    const e = interpretAccounting({ ...base, 'Acct-Status-Type': 'Start' }, 'rfc', arrival) as SessionEvent;
    expect(e.sessionStart?.toISOString()).to.equal(arrival.toISOString());
    expect([e.download, e.upload]).to.deep.equal([0n, 0n]);
  });

  it('keeps the terminate cause of a Stop', () => {
    const e = interpretAccounting({ ...base, 'Acct-Status-Type': 'Stop', 'Acct-Terminate-Cause': 'Admin-Reset' }, 'rfc', arrival) as SessionEvent;
    expect(e).to.include({ status: 'stop', terminateCause: 'Admin-Reset' });
  });

  it('reads Accounting-On and Accounting-Off as NAS events', () => {
    expect(interpretAccounting({ 'Acct-Status-Type': 'Accounting-On' }, 'rfc', arrival)).to.include({ kind: 'nas', status: 'on' });
    expect(interpretAccounting({ 'Acct-Status-Type': 'Accounting-Off' }, 'rfc', arrival)).to.include({ kind: 'nas', status: 'off' });
  });

  it('cannot use a request without Acct-Session-Id, without User-Name, or of another status', () => {
    expect(interpretAccounting({ 'Acct-Status-Type': 'Start', 'User-Name': 'x' }, 'rfc', arrival)).to.deep.equal({ kind: 'unusable', reason: 'missing-session-id' });
    expect(interpretAccounting({ 'Acct-Status-Type': 'Start', 'Acct-Session-Id': 'x' }, 'rfc', arrival)).to.deep.equal({ kind: 'unusable', reason: 'missing-user-name' });
    expect(interpretAccounting({ 'Acct-Status-Type': 'Failed' }, 'rfc', arrival)).to.deep.equal({ kind: 'unusable', reason: 'unsupported-status' });
  });

  it('keeps counters beyond 2^63-1 as reported, for the plugin to quarantine rather than lose', () => {
    const e = interpretAccounting({ ...base, 'Acct-Output-Gigawords': 2 ** 31 }, 'rfc', arrival);
    expect(e).to.deep.include({ kind: 'session', download: 2n ** 63n });
  });
});
