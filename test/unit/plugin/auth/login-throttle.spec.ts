import { expect } from 'chai';
import { loginVerdict, throttleKeys } from '../../../../plugin/auth/login-throttle.js';

const limits = { windowMs: 15 * 60_000, perAddress: 3, perAccount: 5 };
const now = new Date('2026-03-01T10:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

describe('login throttle rules', () => {
  it('allows an attempt below both limits', () => {
    expect(loginVerdict({ address: [ago(1), ago(2)], account: [ago(1)] }, now, limits)).to.deep.equal({ allowed: true });
  });

  it('refuses at the address limit until its oldest counted failure leaves the window', () => {
    expect(loginVerdict({ address: [ago(1), ago(14), ago(5)], account: [] }, now, limits)).to.deep.equal({ allowed: false, scope: 'address', retryAfterSeconds: 60 });
  });

  it('ignores failures older than the window', () => {
    expect(loginVerdict({ address: [ago(1), ago(2), ago(15), ago(20)], account: [] }, now, limits)).to.deep.equal({ allowed: true });
  });

  it('with more failures than the limit, waits until the count falls below it, not for the oldest', () => {
    const v = loginVerdict({ address: [], account: [ago(1), ago(2), ago(3), ago(4), ago(10), ago(12), ago(14)] }, now, limits);
    expect(v).to.deep.equal({ allowed: false, scope: 'account', retryAfterSeconds: 5 * 60 });
  });

  it('names the limit that lasts longer when both are reached', () => {
    const v = loginVerdict({ address: [ago(1), ago(2), ago(3)], account: [ago(1), ago(2), ago(3), ago(4), ago(5)] }, now, limits);
    expect(v).to.deep.equal({ allowed: false, scope: 'address', retryAfterSeconds: 12 * 60 });
  });

  it('keys an account by its normalised e-mail and never keeps either value in clear', () => {
    const a = throttleKeys(' Admin@ISP.example', '192.0.2.1');
    const b = throttleKeys('admin@isp.example', '192.0.2.2');
    expect(a.account).to.equal(b.account);
    expect(a.address).not.to.equal(b.address);
    expect(`${a.account}${a.address}`).to.match(/^[0-9a-f]{128}$/);
    expect(throttleKeys('192.0.2.1', '192.0.2.1').account).not.to.equal(throttleKeys('x', '192.0.2.1').address);
  });
});
