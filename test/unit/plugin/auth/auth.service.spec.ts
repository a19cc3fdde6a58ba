import { expect } from 'chai';
import { AuthenticationError, ConflictError, TooManyAttemptsError, ValidationError } from '../../../../plugin/common/errors.js';
import { fakeAuthDeps } from '../../../support/fakes/index.js';

const PASSWORD = 'correct horse battery';
const from = (address: string) => ({ address });

async function withAdmin() {
  const f = fakeAuthDeps();
  const admin = await f.service.createUser({ email: 'Admin@ISP.example', name: 'Ada Admin', role: 'admin', password: PASSWORD }, 'test');
  return { ...f, admin };
}

async function failures(f: Awaited<ReturnType<typeof withAdmin>>, n: number, email: string, address: (i: number) => string) {
  for (let i = 0; i < n; i++) {
    const err = await f.service.login(email, `wrong ${i}`, from(address(i))).catch((e: unknown) => e);
    expect(err, `attempt ${i + 1}`).to.be.instanceOf(AuthenticationError);
  }
}

describe('auth service (in-memory fakes)', function () {
  this.timeout(20_000);

  it('logs a staff member in by e-mail in any case, records the time and audits it', async () => {
    const f = await withAdmin();
    const user = await f.service.login(' admin@isp.EXAMPLE ', PASSWORD, from('192.0.2.1'));
    expect(user.id).to.equal(f.admin.id);
    expect(user).not.to.have.property('passwordHash');
    expect(f.rows.users[0]!.lastLoginAt?.toISOString()).to.equal('2026-03-01T09:00:00.000Z');
    expect(f.rows.audit.map((a) => [a.action, a.actor])).to.deep.include(['login', `user:${f.admin.id}`]);
  });

  it('refuses a wrong password and an unknown e-mail alike, and counts both', async () => {
    const f = await withAdmin();
    const wrong = await f.service.login('admin@isp.example', 'nope nope nope', from('192.0.2.1')).catch((e: unknown) => e);
    const unknown = await f.service.login('ghost@isp.example', 'nope nope nope', from('192.0.2.1')).catch((e: unknown) => e);
    expect(wrong).to.be.instanceOf(AuthenticationError);
    expect(unknown).to.be.instanceOf(AuthenticationError);
    expect((wrong as Error).message).to.equal((unknown as Error).message);
    expect(f.rows.failures.filter((r) => r.scope === 'address')).to.have.length(2);
    expect(f.rows.audit.map((a) => a.action)).to.deep.equal(['user.create', 'login.failed']);
  });

  it('refuses a disabled user with the right password', async () => {
    const f = await withAdmin();
    f.rows.users[0]!.disabled = true;
    expect(await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.1')).catch((e: unknown) => e)).to.be.instanceOf(AuthenticationError);
  });

  it('refuses the right password after 10 failures from one address, saying when to retry, without checking or counting it', async () => {
    const f = await withAdmin();
    await failures(f, 10, 'ghost@isp.example', () => '192.0.2.7');
    const before = f.rows.failures.length;
    const err = await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.7')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TooManyAttemptsError);
    expect((err as TooManyAttemptsError).retryAfterSeconds).to.equal(15 * 60);
    expect(f.rows.failures).to.have.length(before);
    expect((await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.8'))).id).to.equal(f.admin.id);
  });

  it('locks an account after 20 failures from as many addresses, for every address, and no other account', async () => {
    const f = await withAdmin();
    await f.service.createUser({ email: 'clerk@isp.example', name: 'Clerk', role: 'billing', password: PASSWORD }, 'test');
    await failures(f, 20, 'admin@isp.example', (i) => `198.51.100.${i}`);
    expect(await f.service.login('admin@isp.example', PASSWORD, from('203.0.113.1')).catch((e: unknown) => e)).to.be.instanceOf(TooManyAttemptsError);
    expect((await f.service.login('clerk@isp.example', PASSWORD, from('203.0.113.1'))).email).to.equal('clerk@isp.example');
  });

  it('opens again when the oldest failures leave the 15-minute window', async () => {
    const f = await withAdmin();
    await failures(f, 5, 'ghost@isp.example', () => '192.0.2.9');
    f.clock.advance(10 * 60_000);
    await failures(f, 5, 'ghost@isp.example', () => '192.0.2.9');
    const err = await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.9')).catch((e: unknown) => e);
    expect((err as TooManyAttemptsError).retryAfterSeconds).to.equal(5 * 60);
    f.clock.advance(5 * 60_000);
    expect((await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.9'))).id).to.equal(f.admin.id);
  });

  it('starts an account\'s count again after its right password, but not its address\'s', async () => {
    const f = await withAdmin();
    await failures(f, 9, 'admin@isp.example', () => '192.0.2.10');
    await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.10'));
    await failures(f, 1, 'admin@isp.example', () => '192.0.2.10');
    expect(await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.10')).catch((e: unknown) => e)).to.be.instanceOf(TooManyAttemptsError);
    expect((await f.service.login('admin@isp.example', PASSWORD, from('192.0.2.11'))).id).to.equal(f.admin.id);
  });

  it('prunes failures that left the window', async () => {
    const f = await withAdmin();
    await failures(f, 3, 'ghost@isp.example', () => '192.0.2.12');
    f.clock.advance(16 * 60_000);
    await failures(f, 1, 'ghost@isp.example', () => '192.0.2.12');
    expect(f.rows.failures.map((r) => r.at.toISOString())).to.deep.equal(['2026-03-01T09:16:00.000Z', '2026-03-01T09:16:00.000Z']);
  });

  it('names every bad field of a new staff user and refuses a taken e-mail', async () => {
    const f = await withAdmin();
    const bad = await f.service.createUser({ email: 'no-at', name: ' ', role: 'billing', password: 'short' }, 'test').catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(ValidationError);
    expect((bad as ValidationError).issues.map((i) => i.field)).to.deep.equal(['email', 'name', 'password']);
    f.deps.users.create = async () => {
      throw Object.assign(new Error('Duplicate entry'), { original: { code: 'ER_DUP_ENTRY' } });
    };
    const taken = await f.service.createUser({ email: 'admin@isp.example', name: 'Again', role: 'billing', password: PASSWORD }, 'test').catch((e: unknown) => e);
    expect(taken).to.be.instanceOf(ConflictError);
  });

  it('creates an API token, accepts it until it is revoked, and audits both with their actor', async () => {
    const f = await withAdmin();
    const { token, info } = await f.service.createApiToken({ name: 'billing export', role: 'readonly' }, 'user:1');
    expect((await f.service.authenticateToken(token)).id).to.equal(info.id);
    await f.service.revokeApiToken(info.id, 'user:1');
    expect(await f.service.authenticateToken(token).catch((e: unknown) => e)).to.be.instanceOf(AuthenticationError);
    expect(await f.service.revokeApiToken(info.id, 'user:1').catch((e: unknown) => e)).to.be.instanceOf(ConflictError);
    expect(f.rows.audit.filter((a) => a.entityType === 'api_token').map((a) => [a.action, a.actor])).to.deep.equal([
      ['api_token.create', 'user:1'],
      ['api_token.revoke', 'user:1'],
    ]);
  });
});
