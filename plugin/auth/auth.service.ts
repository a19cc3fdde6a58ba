import type { Database } from '../db/database.js';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { AuthenticationError, ConflictError, NotFoundError, TooManyAttemptsError, ValidationError, type FieldIssue } from '../common/errors.js';
import { isDuplicateKey } from '../db/database.js';
import type { LoginFailuresRepository } from './login-failures.repository.js';
import { LOGIN_LIMITS, loginVerdict, throttleKeys, type LoginLimits, type ThrottleKeys } from './login-throttle.js';
import { hashPassword, passwordProblem, verifyPassword } from './password.js';
import type { Role } from './roles.js';
import type { ApiTokenInfo, ApiTokensRepository } from './tokens.repository.js';
import type { StaffUser, UsersRepository } from './users.repository.js';

/** What the service needs of its repositories (so that its specs can pass typed fakes). */
export interface AuthServiceDeps {
  db: Pick<Database, 'transaction'>;
  users: Pick<UsersRepository, 'findByEmailWithHash' | 'touchLogin' | 'create'>;
  tokens: Pick<ApiTokensRepository, 'create' | 'findById' | 'revoke' | 'findActiveByToken' | 'touch'>;
  audit: Pick<AuditRepository, 'record'>;
  failures: Pick<LoginFailuresRepository, 'record' | 'recentByKey' | 'clear' | 'prune'>;
  clock: Clock;
  limits?: LoginLimits;
}

/** Who is logging in, as far as the HTTP layer can tell. */
export interface LoginClient {
  /** The client's address: the forwarded one when the reverse proxy is trusted. */
  address: string;
}

const PRUNE_EVERY_MS = 60_000;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class AuthService {
  // Verifying against a fixed hash when the user does not exist keeps the response time of a
  // wrong e-mail equal to that of a wrong password (no account enumeration by timing).
  private dummyHash: Promise<string> | null = null;

  private lastPrune = 0;

  constructor(private readonly deps: AuthServiceDeps) {}

  /**
   * Checks e-mail and password, unless too many logins failed lately from the client's address or
   * for the account (TooManyAttemptsError, checked before the password so that a refused attempt
   * costs no hashing and is not counted). A wrong password or unknown e-mail counts against both.
   */
  async login(email: string, password: string, client: LoginClient): Promise<StaffUser> {
    const limits = this.deps.limits ?? LOGIN_LIMITS;
    const now = this.deps.clock.now();
    const keys = throttleKeys(email, client.address);
    const recent = await this.deps.failures.recentByKey([keys.address, keys.account], new Date(now.getTime() - limits.windowMs));
    const verdict = loginVerdict({ address: recent.get(keys.address) ?? [], account: recent.get(keys.account) ?? [] }, now, limits);
    if (!verdict.allowed) {
      const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
      throw new TooManyAttemptsError(`Too many failed login attempts. Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`, verdict.retryAfterSeconds);
    }
    try {
      const user = await this.checkPassword(email, password);
      // The account's own count starts again once its password was right; the address's does
      // not, or one valid account would reset the limit for guessing at others.
      await this.deps.failures.clear(keys.account);
      return user;
    } catch (err) {
      if (err instanceof AuthenticationError) await this.recordFailure(keys);
      throw err;
    }
  }

  private async recordFailure(keys: ThrottleKeys): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.failures.record([{ keyHash: keys.address, scope: 'address' }, { keyHash: keys.account, scope: 'account' }], now);
    if (now.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now.getTime();
      await this.deps.failures.prune(new Date(now.getTime() - (this.deps.limits ?? LOGIN_LIMITS).windowMs));
    }
  }

  private async checkPassword(email: string, password: string): Promise<StaffUser> {
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
