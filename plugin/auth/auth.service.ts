import type { Database } from '../db/database.js';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { AuthenticationError, ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../common/errors.js';
import { isDuplicateKey } from '../db/database.js';
import { hashPassword, passwordProblem, verifyPassword } from './password.js';
import type { Role } from './roles.js';
import type { ApiTokenInfo, ApiTokensRepository } from './tokens.repository.js';
import type { StaffUser, UsersRepository } from './users.repository.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class AuthService {
  // Verifying against a fixed hash when the user does not exist keeps the response time of a
  // wrong e-mail equal to that of a wrong password (no account enumeration by timing).
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly deps: {
      db: Database;
      users: UsersRepository;
      tokens: ApiTokensRepository;
      audit: AuditRepository;
      clock: Clock;
    },
  ) {}

  async login(email: string, password: string): Promise<StaffUser> {
    const user = await this.deps.users.findByEmailWithHash(email);
    if (!user) {
      this.dummyHash ??= hashPassword('not-a-real-password');
      await verifyPassword(password, await this.dummyHash);
      throw new AuthenticationError('wrong e-mail or password');
    }
    const ok = await verifyPassword(password, user.passwordHash);
    if (!ok || user.disabled) {
      await this.deps.audit.record({ actor: `user:${user.id}`, action: 'login.failed', entityType: 'user', entityId: user.id });
      throw new AuthenticationError('wrong e-mail or password');
    }
    await this.deps.users.touchLogin(user.id, this.deps.clock.now());
    await this.deps.audit.record({ actor: `user:${user.id}`, action: 'login', entityType: 'user', entityId: user.id });
    const { passwordHash: _h, ...rest } = user;
    return rest;
  }

  async createUser(input: { email: string; name: string; role: Role; password: string }, actor: string): Promise<StaffUser> {
    const issues: FieldIssue[] = [];
    if (!EMAIL.test(input.email)) issues.push({ field: 'email', message: 'is not an e-mail address' });
    if (!input.name.trim()) issues.push({ field: 'name', message: 'is required' });
    const pw = passwordProblem(input.password);
    if (pw) issues.push({ field: 'password', message: pw });
    if (issues.length) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.deps.db.transaction(async (t) => {
        const user = await this.deps.users.create(
          { email: input.email, name: input.name.trim(), role: input.role, passwordHash, createdAt: this.deps.clock.now() },
          t,
        );
        await this.deps.audit.record({ actor, action: 'user.create', entityType: 'user', entityId: user.id, details: { email: user.email, role: user.role } }, t);
        return user;
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(`a user with e-mail ${input.email} already exists`, [{ field: 'email', message: 'already exists' }]);
      throw err;
    }
  }

  async createApiToken(input: { name: string; role: Role }, actor: string): Promise<{ token: string; info: ApiTokenInfo }> {
    if (!input.name.trim()) throw new ValidationError('name is required', [{ field: 'name', message: 'is required' }]);
    return this.deps.db.transaction(async (t) => {
      const created = await this.deps.tokens.create({ name: input.name.trim(), role: input.role, createdBy: actor, createdAt: this.deps.clock.now() }, t);
      await this.deps.audit.record({ actor, action: 'api_token.create', entityType: 'api_token', entityId: created.info.id, details: { name: created.info.name, role: created.info.role } }, t);
      return created;
    });
  }

  /** Revokes an API token from now on; NotFoundError for no such token, ConflictError if revoked already. */
  async revokeApiToken(id: number, actor: string): Promise<void> {
    await this.deps.db.transaction(async (t) => {
      const token = await this.deps.tokens.findById(id, t);
      if (!token) throw new NotFoundError(`there is no API token #${id}`);
      if (!(await this.deps.tokens.revoke(id, this.deps.clock.now(), t))) throw new ConflictError(`API token ${token.name} is revoked already`);
      await this.deps.audit.record({ actor, action: 'api_token.revoke', entityType: 'api_token', entityId: id, details: { name: token.name } }, t);
    });
  }

  async authenticateToken(token: string): Promise<ApiTokenInfo> {
    const info = await this.deps.tokens.findActiveByToken(token);
    if (!info) throw new AuthenticationError('missing, unknown or revoked API token');
    // Best effort: a failed touch must not fail the request.
    void this.deps.tokens.touch(info.id, this.deps.clock.now()).catch(() => undefined);
    return info;
  }
}
