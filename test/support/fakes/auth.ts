import type { Transaction } from 'sequelize';
import type { AuditEvent } from '../../../plugin/audit/audit.repository.js';
import type { AuthServiceDeps } from '../../../plugin/auth/auth.service.js';
import { AuthService } from '../../../plugin/auth/auth.service.js';
import type { ThrottleScope } from '../../../plugin/auth/login-throttle.js';
import type { ApiTokenInfo } from '../../../plugin/auth/tokens.repository.js';
import type { StaffUserWithHash } from '../../../plugin/auth/users.repository.js';
import { ManualClock } from '../../../plugin/common/clock.js';

/**
 * Typed in-memory fakes of what AuthService needs, made by one factory. Each fake keeps its rows
 * in plain arrays the specs can read.
 */
export function fakeAuthDeps(clock = new ManualClock('2026-03-01T09:00:00Z')) {
  const users: StaffUserWithHash[] = [];
  const tokens: Array<ApiTokenInfo & { token: string }> = [];
  const audit: AuditEvent[] = [];
  const failures: Array<{ keyHash: string; scope: ThrottleScope; at: Date }> = [];
  const transaction = {} as Transaction;

  const deps = {
    clock,
    db: { transaction: <T>(fn: (t: Transaction) => Promise<T>) => fn(transaction) },
    users: {
      findByEmailWithHash: async (email: string) => users.find((u) => u.email === email.trim().toLowerCase()) ?? null,
      touchLogin: async (id: number, at: Date) => {
        const u = users.find((x) => x.id === id);
        if (u) u.lastLoginAt = at;
      },
      create: async (input: { email: string; name: string; role: StaffUserWithHash['role']; passwordHash: string; createdAt: Date }) => {
        const user: StaffUserWithHash = { id: users.length + 1, ...input, email: input.email.trim().toLowerCase(), disabled: false, lastLoginAt: null };
        users.push(user);
        const { passwordHash: _h, ...rest } = user;
        return rest;
      },
    },
    tokens: {
      create: async (input: { name: string; role: ApiTokenInfo['role']; createdBy: string; createdAt: Date }) => {
        const token = `oct_api_fake${tokens.length + 1}`;
        const info: ApiTokenInfo = { id: tokens.length + 1, prefix: token.slice(0, 12), lastUsedAt: null, revokedAt: null, ...input };
        tokens.push({ ...info, token });
        return { token, info };
      },
      findById: async (id: number) => tokens.find((t) => t.id === id) ?? null,
      revoke: async (id: number, at: Date) => {
        const t = tokens.find((x) => x.id === id && x.revokedAt === null);
        if (t) t.revokedAt = at;
        return !!t;
      },
      findActiveByToken: async (token: string) => tokens.find((t) => t.token === token && t.revokedAt === null) ?? null,
      touch: async (id: number, at: Date) => {
        const t = tokens.find((x) => x.id === id);
        if (t) t.lastUsedAt = at;
      },
    },
    audit: {
      record: async (event: AuditEvent) => {
        audit.push(event);
      },
    },
    failures: {
      record: async (entries: ReadonlyArray<{ keyHash: string; scope: ThrottleScope }>, at: Date) => {
        for (const e of entries) failures.push({ ...e, at });
      },
      recentByKey: async (keys: readonly string[], since: Date) =>
        new Map(keys.map((k) => [k, failures.filter((f) => f.keyHash === k && f.at > since).map((f) => f.at)])),
      clear: async (keyHash: string) => {
        for (let i = failures.length - 1; i >= 0; i--) if (failures[i]!.keyHash === keyHash) failures.splice(i, 1);
      },
      prune: async (before: Date) => {
        const n = failures.length;
        for (let i = failures.length - 1; i >= 0; i--) if (failures[i]!.at < before) failures.splice(i, 1);
        return n - failures.length;
      },
    },
  } satisfies AuthServiceDeps;

  return { deps, clock, rows: { users, tokens, audit, failures }, service: new AuthService(deps) };
}
