import type { Transaction } from 'sequelize';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { enforcementApplied, enforcementState, type EnforcementItem, type EnforcementSnapshot, type EnforcementState } from '../common/wire.js';
import { isDatabaseBusy } from '../db/busy.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import type { EnforcementRepository, HistoryEvent } from './enforcement.repository.js';
import type { EnforcementNotifier } from './notifier.js';
import type { AgentDevices, EnforcedService, EnforcementSubscribers } from './ports.js';
import type { OutboxPort } from '../webhooks/index.js';
import { CAUSE_KINDS, isConfirmed, nextDesired, normalRate, RATE_PATTERN, type Cause, type EnforcementRow } from './state.js';

export interface SetDesiredInput {
  serviceIds: number[];
  desired: EnforcementState;
  rate?: string | null;
  cause: Cause;
}

export interface EnforcementStatus {
  desired: EnforcementState;
  rate: string | null;
  version: number;
  cause: Cause;
  changedAt: Date;
  applied: EnforcementState | null;
  appliedVersion: number | null;
  appliedAt: Date | null;
  error: string | null;
  device: string | null;
  confirmed: boolean;
}

export interface AppliedResult {
  recorded: number;
  /** Reports older than what was recorded (or about a service with no desired state): ignored. */
  stale: number;
  rejected: Array<{ serviceId: number; reason: string }>;
}

function statusOf(r: EnforcementRow): EnforcementStatus {
  return {
    desired: r.desired,
    rate: r.rate,
    version: r.version,
    cause: r.cause,
    changedAt: r.changedAt,
    applied: r.applied,
    appliedVersion: r.appliedVersion,
    appliedAt: r.appliedAt,
    error: r.error,
    device: r.device,
    confirmed: isConfirmed(r),
  };
}

function validate(input: SetDesiredInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!Array.isArray(input.serviceIds) || input.serviceIds.some((id) => !Number.isInteger(id) || id <= 0)) issues.push({ field: 'serviceIds', message: 'must be positive integers' });
  if (!enforcementState.safeParse(input.desired).success) issues.push({ field: 'desired', message: 'must be active, suspended or throttled' });
  if (input.desired === 'throttled' && (typeof input.rate !== 'string' || !RATE_PATTERN.test(input.rate) || input.rate.length > 64)) {
    issues.push({ field: 'rate', message: 'a throttled service needs a RouterOS rate such as 2M/2M' });
  }
  if (!CAUSE_KINDS.includes(input.cause?.kind)) issues.push({ field: 'cause.kind', message: `must be one of ${CAUSE_KINDS.join(', ')}` });
  if (typeof input.cause?.detail !== 'string' || input.cause.detail.trim() === '' || input.cause.detail.length > 500) issues.push({ field: 'reason', message: 'say why (1 to 500 characters)' });
  if (typeof input.cause?.actor !== 'string' || input.cause.actor === '') issues.push({ field: 'cause.actor', message: 'required' });
  return issues;
}

/**
 * The enforcement port: desired states (what dunning, staff and fair use want), what the agents
 * applied, and what each agent must enforce. Desired state lives apart from services.status.
 */
export class EnforcementService {
  constructor(
    private readonly deps: {
      db: Database;
      repo: EnforcementRepository;
      audit: AuditRepository;
      notifier: EnforcementNotifier;
      subscribers: EnforcementSubscribers;
      devices: AgentDevices;
      clock: Clock;
      logger: Logger;
      /** Webhooks out: account.suspended, account.restored, usage.cap_crossed, in the change's transaction. */
      outbox?: Pick<OutboxPort, 'enqueue'>;
    },
  ) {}

  get notifier(): EnforcementNotifier {
    return this.deps.notifier;
  }

  /**
   * Sets the desired state of services. Idempotent: a service already in that state (and rate)
   * keeps its version and gets no history. Runs in `t` when given (the caller's transaction, e.g.
   * a payment's); agents are woken after that transaction commits.
   */
  async setDesired(input: SetDesiredInput, t?: Transaction): Promise<Array<{ serviceId: number; version: number; changed: boolean }>> {
    const issues = validate(input);
    if (issues.length > 0) throw new ValidationError('invalid enforcement change', issues);
    const rate = normalRate(input.desired, input.rate);
    const cause: Cause = { kind: input.cause.kind, detail: input.cause.detail.trim(), actor: input.cause.actor };
    const run = async (tx: Transaction) => {
      const ids = [...new Set(input.serviceIds)];
      const current = await this.deps.repo.get(ids, tx, true);
      const now = this.deps.clock.now();
      const out: Array<{ serviceId: number; version: number; changed: boolean }> = [];
      const transitions: Array<{ serviceId: number; from: string; to: string; version: number }> = [];
      for (const id of ids) {
        const before = current.get(id) ?? null;
        const next = nextDesired(before, id, input.desired, rate, cause, now);
        if (!next) {
          out.push({ serviceId: id, version: before?.version ?? 0, changed: false });
          continue;
        }
        await this.deps.repo.saveDesired(next, before !== null, tx);
        await this.deps.repo.addEvent({ serviceId: id, version: next.version, kind: 'desired', state: next.desired, rate, causeKind: cause.kind, detail: cause.detail, actor: cause.actor, at: now }, tx);
        await this.deps.audit.record(
          { actor: cause.actor, action: 'enforcement.set', entityType: 'service', entityId: id, details: { from: before?.desired ?? 'active', to: next.desired, rate, version: next.version, cause: cause.kind, detail: cause.detail } },
          tx,
        );
        out.push({ serviceId: id, version: next.version, changed: true });
        transitions.push({ serviceId: id, from: before?.desired ?? 'active', to: next.desired, version: next.version });
      }
      if (this.deps.outbox && transitions.length > 0) await this.announce(transitions, cause, rate, tx);
      const changed = out.filter((o) => o.changed).map((o) => o.serviceId);
      if (changed.length > 0) tx.afterCommit(() => this.deps.notifier.notify(changed));
      return out;
    };
    if (t) return run(t);
    // Two first changes of one service at once on MySQL: both find no row, one insert loses
    // (duplicate key or deadlock). In our own transaction the loser simply runs again and sees
    // the winner's row; in the caller's it is the caller's to retry.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.db.transaction(run);
      } catch (err) {
        if (attempt >= 3 || !(isDuplicateKey(err) || isDatabaseBusy(err))) throw err;
      }
    }
  }

  /**
   * The webhook events of these changes, in their transaction: an account is suspended when one
   * of its services becomes suspended, restored when one goes from suspended to active (one event
   * per account and change, naming its services); a fair-use throttle is a usage cap crossed.
   */
  private async announce(transitions: Array<{ serviceId: number; from: string; to: string; version: number }>, cause: Cause, rate: string | null, tx: Transaction): Promise<void> {
    const outbox = this.deps.outbox!;
    const services = await this.deps.subscribers.services(transitions.map((x) => x.serviceId));
    const byAccount = new Map<number, { suspended: number[]; restored: number[] }>();
    for (const x of transitions) {
      const accountId = services.get(x.serviceId)?.accountId;
      if (accountId === undefined) continue;
      const a = byAccount.get(accountId) ?? { suspended: [], restored: [] };
      if (x.to === 'suspended' && x.from !== 'suspended') a.suspended.push(x.serviceId);
      if (x.to === 'active' && x.from === 'suspended') a.restored.push(x.serviceId);
      byAccount.set(accountId, a);
      if (x.to === 'throttled' && cause.kind === 'fair_use') {
        await outbox.enqueue('usage.cap_crossed', { accountId, serviceId: x.serviceId, login: services.get(x.serviceId)?.login ?? null, rate, detail: cause.detail, version: x.version }, tx);
      }
    }
    const causeOf = { kind: cause.kind, detail: cause.detail, actor: cause.actor };
    for (const [accountId, a] of byAccount) {
      if (a.suspended.length) await outbox.enqueue('account.suspended', { accountId, serviceIds: a.suspended, cause: causeOf }, tx);
      if (a.restored.length) await outbox.enqueue('account.restored', { accountId, serviceIds: a.restored, cause: causeOf }, tx);
    }
  }

  async stateOf(serviceIds: number[], t?: Transaction): Promise<Map<number, EnforcementStatus>> {
    const rows = await this.deps.repo.get(serviceIds, t);
    return new Map([...rows].map(([id, r]) => [id, statusOf(r)]));
  }

  /** Services not active (or in `desired`), with their login and router, for the page and the API. */
  async list(desired?: EnforcementState, options: { unconfirmedToo?: boolean } = {}): Promise<Array<EnforcementStatus & { serviceId: number; accountId: number | null; login: string | null; nasName: string | null }>> {
    const rows = await this.deps.repo.list(desired ? { desired } : { notActive: true, unconfirmedToo: options.unconfirmedToo ?? false });
    const services = await this.deps.subscribers.services(rows.map((r) => r.serviceId));
    return rows.map((r) => {
      const s = services.get(r.serviceId);
      return { serviceId: r.serviceId, accountId: s?.accountId ?? null, login: s?.login ?? null, nasName: s?.nasName ?? null, ...statusOf(r) };
    });
  }

  history(serviceId: number): Promise<HistoryEvent[]> {
    return this.deps.repo.history(serviceId);
  }

  /** The services on this agent's routers and NASes (by services.nas_name). */
  async servicesOfAgent(agentName: string): Promise<EnforcedService[]> {
    const devices = await this.deps.devices.devicesOf(agentName);
    return devices.length === 0 ? [] : this.deps.subscribers.servicesOn(devices);
  }

  /**
   * The desired state of this agent's services that have one. A service not listed is active at
   * version 0 (never touched), which is what an agent assumes of a service it knows nothing about.
   */
  async snapshot(agentName: string): Promise<EnforcementSnapshot> {
    return this.snapshotOf(await this.servicesOfAgent(agentName));
  }

  /** The current version of each of these services that has a desired state. */
  versionsOf(serviceIds: number[]): Promise<Map<number, number>> {
    return this.deps.repo.versions(serviceIds);
  }

  async snapshotOf(services: EnforcedService[]): Promise<EnforcementSnapshot> {
    const rows = await this.deps.repo.get(services.map((s) => s.id));
    const items: EnforcementItem[] = [];
    for (const s of services) {
      const r = rows.get(s.id);
      if (r && s.nasName) items.push({ serviceId: s.id, login: s.login, device: s.nasName, desired: r.desired, rate: r.rate, version: r.version });
    }
    items.sort((a, b) => a.serviceId - b.serviceId);
    return { version: items.reduce((m, i) => Math.max(m, i.version), 0), items };
  }

  /** What an agent applied (or failed to): recorded per service unless a newer report is already in. */
  async recordApplied(agent: { name: string }, body: unknown): Promise<AppliedResult> {
    const parsed = enforcementApplied.safeParse(body);
    if (!parsed.success) throw new ValidationError('malformed applied report', parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })));
    const mine = new Set((await this.servicesOfAgent(agent.name)).map((s) => s.id));
    const result: AppliedResult = { recorded: 0, stale: 0, rejected: [] };
    await this.deps.db.transaction(async (t) => {
      for (const item of parsed.data.items) {
        if (!mine.has(item.serviceId)) {
          result.rejected.push({ serviceId: item.serviceId, reason: 'not a service on this agent’s routers or NASes' });
          continue;
        }
        const error = item.ok ? null : (item.error ?? 'failed (no reason given)');
        const at = new Date(item.at);
        const saved = await this.deps.repo.saveApplied({ serviceId: item.serviceId, version: item.version, applied: item.applied, rate: item.rate, error, at, device: item.device }, t);
        if (!saved) {
          result.stale++;
          continue;
        }
        result.recorded++;
        await this.deps.repo.addEvent({ serviceId: item.serviceId, version: item.version, kind: 'applied', state: item.applied, rate: item.rate, causeKind: null, detail: error, actor: `agent:${agent.name}`, at }, t);
      }
    });
    if (result.rejected.length > 0) this.deps.logger.warn('applied report about services not on the agent', { agent: agent.name, rejected: result.rejected.length });
    return result;
  }

  /** The RADIUS authorize answer's input: the current service of a login and its desired state. */
  async forLogin(login: string, today: string): Promise<{ service: EnforcedService; desired: EnforcementState; rate: string | null; refusal: string | null } | null> {
    const current = (await this.deps.subscribers.byLogin(login)).filter((s) => s.status !== 'ended' && s.startDate <= today && (s.endDate === null || s.endDate >= today));
    const service = current[0];
    if (!service) return null;
    const row = (await this.deps.repo.get([service.id])).get(service.id);
    // What staff set (services.status, accounts.status) refuses the login, apart from billing's state.
    const accountStatus = await this.deps.subscribers.accountStatus(service.accountId);
    const refusal =
      service.status === 'suspended' ? 'service suspended by staff' : accountStatus === 'suspended' ? 'account suspended by staff' : accountStatus === 'closed' || accountStatus === null ? 'account closed' : null;
    return { service, desired: row?.desired ?? 'active', rate: row?.rate ?? null, refusal };
  }
}
