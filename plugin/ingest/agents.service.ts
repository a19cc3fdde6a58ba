import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { AuthenticationError, ConflictError, NotFoundError, ValidationError } from '../common/errors.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import type { AgentInfo, AgentsRepository, QuarantinedInfo } from './agents.repository.js';

/** Names as they appear in agent configs and audit actors (`agent:<name>`). */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** How often an agent's last_seen_at is written: once a minute is enough to show it is alive. */
const TOUCH_EVERY_MS = 60_000;

/** Registering, rotating, revoking and authenticating agents. */
export class AgentsService {
  private readonly touchedAt = new Map<number, number>();

  constructor(private readonly deps: { db: Database; agents: AgentsRepository; audit: AuditRepository; clock: Clock }) {}

  async create(name: string, actor: string): Promise<{ token: string; info: AgentInfo }> {
    if (!AGENT_NAME.test(name)) {
      throw new ValidationError('agent name must be 1-100 letters, digits, dots, dashes or underscores', [
        { field: 'name', message: 'use letters, digits, ".", "-" or "_", starting with a letter or digit' },
      ]);
    }
    try {
      return await this.deps.db.transaction(async (t) => {
        const created = await this.deps.agents.create({ name, createdBy: actor, createdAt: this.deps.clock.now() }, t);
        await this.deps.audit.record({ actor, action: 'agent.create', entityType: 'agent', entityId: created.info.id, details: { name } }, t);
        return created;
      });
    } catch (err) {
      if (isDuplicateKey(err)) {
        throw new ConflictError(`an agent named ${name} exists already (names stay taken after a revoke; to replace its token, rotate it)`, [
          { field: 'name', message: 'is taken' },
        ]);
      }
      throw err;
    }
  }

  /**
   * A new token for the same agent (same id, so records it re-sends are still recognised as
   * seen); the old token stops working when this commits. Rotating a revoked agent reactivates
   * it: that is how a leaked token is replaced after an emergency revoke.
   */
  async rotate(name: string, actor: string): Promise<{ token: string; info: AgentInfo }> {
    return this.deps.db.transaction(async (t) => {
      const agent = await this.deps.agents.findByName(name, t);
      if (!agent) throw new NotFoundError(`no agent named ${name}`);
      const rotated = await this.deps.agents.rotateToken(agent.id, t);
      if (!rotated) throw new NotFoundError(`no agent named ${name}`);
      const details = { name, oldPrefix: agent.prefix, newPrefix: rotated.prefix, reactivated: agent.revokedAt !== null };
      await this.deps.audit.record({ actor, action: 'agent.rotate', entityType: 'agent', entityId: agent.id, details }, t);
      return { token: rotated.token, info: { ...agent, prefix: rotated.prefix, revokedAt: null } };
    });
  }

  async revoke(name: string, actor: string): Promise<AgentInfo> {
    return this.deps.db.transaction(async (t) => {
      const agent = await this.deps.agents.findByName(name, t);
      if (!agent) throw new NotFoundError(`no agent named ${name}`);
      if (!(await this.deps.agents.revoke(agent.id, this.deps.clock.now(), t))) throw new ConflictError(`agent ${name} is revoked already`);
      await this.deps.audit.record({ actor, action: 'agent.revoke', entityType: 'agent', entityId: agent.id, details: { name } }, t);
      return { ...agent, revokedAt: this.deps.clock.now() };
    });
  }

  list(): Promise<AgentInfo[]> {
    return this.deps.agents.list();
  }

  latestQuarantined(limit = 50): Promise<QuarantinedInfo[]> {
    return this.deps.agents.latestQuarantined(limit);
  }

  /** The agent a bearer token belongs to; AuthenticationError (401) for a missing, wrong or revoked one. */
  async authenticate(token: string | null): Promise<AgentInfo> {
    if (!token) throw new AuthenticationError('missing agent token (Authorization: Bearer <token>)');
    const agent = await this.deps.agents.findActiveByToken(token);
    if (!agent) throw new AuthenticationError('unknown or revoked agent token');
    const now = this.deps.clock.now().getTime();
    if (now - (this.touchedAt.get(agent.id) ?? 0) >= TOUCH_EVERY_MS) {
      this.touchedAt.set(agent.id, now);
      await this.deps.agents.touch(agent.id, new Date(now));
    }
    return agent;
  }
}
