import type { Request, Response, Router } from 'express';
import { apiToken, requireApiRole } from '../api/router.js';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import type { Account, AccountFilter } from './accounts.repository.js';
import { parseLimit } from './cursor.js';
import type { Service, ServiceFilter } from './services.repository.js';
import type { SubscribersService } from './subscribers.service.js';
import { ACCOUNT_STATUSES, SERVICE_STATUSES, type AccountStatus, type ServiceStatus } from './validation.js';

/** The JSON shapes of plugin/api/openapi.yaml (#/components/schemas/Account and Service). */
export function accountJson(a: Account) {
  return { ...a, createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString() };
}

export function serviceJson(s: Service) {
  return { ...s, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
}

function idParam(req: Request, name = 'id'): number {
  const v = req.params[name];
  if (typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v)) return Number(v);
  throw new ValidationError(`${name} must be a positive whole number`, [{ field: name, message: 'must be a positive whole number' }]);
}

/** Query strings: one value per name (a repeated parameter is a mistake worth naming). */
function queryText(req: Request, name: string, issues: FieldIssue[]): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    issues.push({ field: name, message: 'must be given once, as text' });
    return undefined;
  }
  return v.trim() || undefined;
}

function queryEnum<T extends string>(req: Request, name: string, allowed: readonly T[], issues: FieldIssue[]): T | undefined {
  const v = queryText(req, name, issues);
  if (v === undefined) return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  issues.push({ field: name, message: `must be one of ${allowed.join(', ')}` });
  return undefined;
}

function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new ValidationError('the request body must be a JSON object', [{ field: '', message: 'must be a JSON object' }]);
  }
  return b as Record<string, unknown>;
}

function actor(res: Response): string {
  return `token:${apiToken(res).id}`;
}

function pageParams(req: Request, issues: FieldIssue[]): { limit: number; cursor?: string } {
  let limit = 50;
  try {
    limit = parseLimit((req.query as Record<string, unknown>).limit);
  } catch (err) {
    issues.push(...(err as ValidationError).issues);
  }
  return { limit, cursor: queryText(req, 'cursor', issues) };
}

function failIf(issues: FieldIssue[]): void {
  if (issues.length) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);
}

/**
 * What integrators read with an account besides its own fields: its state on the network (from
 * enforcement: suspended or throttled when any of its services is) and its balance (from
 * payments). Passed in by the composition root; without it the fields are left out.
 */
export interface AccountStanding {
  of(accountIds: number[]): Promise<Map<number, { networkStatus: 'active' | 'suspended' | 'throttled'; balance: { currency: string; balanceMinor: string; openMinor: string; overdueMinor: string; creditMinor: string } }>>;
}

export function subscribersApi(router: Router, svc: SubscribersService, standing?: AccountStanding): void {
  const read = requireApiRole('readonly');
  const withStanding = async (accounts: Account[]) => {
    const s = standing ? await standing.of(accounts.map((a) => a.id)) : new Map();
    return accounts.map((a) => ({ ...accountJson(a), ...(s.get(a.id) ?? {}) }));
  };
  const write = requireApiRole('billing');

  router.get('/accounts', read, async (req, res) => {
    const issues: FieldIssue[] = [];
    const filter: AccountFilter = {
      q: queryText(req, 'q', issues),
      name: queryText(req, 'name', issues),
      email: queryText(req, 'email', issues),
      externalId: queryText(req, 'externalId', issues),
      login: queryText(req, 'login', issues),
      status: queryEnum<AccountStatus>(req, 'status', ACCOUNT_STATUSES, issues),
    };
    const { limit, cursor } = pageParams(req, issues);
    failIf(issues);
    const page = await svc.listAccounts(filter, limit, cursor);
    res.json({ items: await withStanding(page.items), nextCursor: page.nextCursor });
  });

  router.post('/accounts', write, async (req, res) => {
    const a = await svc.createAccount(body(req), actor(res));
    res.status(201).location(`/api/v1/accounts/${a.id}`).json(accountJson(a));
  });

  router.get('/accounts/:id', read, async (req, res) => {
    res.json((await withStanding([await svc.getAccount(idParam(req))]))[0]);
  });

  router.patch('/accounts/:id', write, async (req, res) => {
    res.json(accountJson(await svc.updateAccount(idParam(req), body(req), actor(res))));
  });

  router.get('/accounts/:id/services', read, async (req, res) => {
    const issues: FieldIssue[] = [];
    const { limit, cursor } = pageParams(req, issues);
    failIf(issues);
    const page = await svc.servicesPageOf(idParam(req), limit, cursor);
    res.json({ items: page.items.map(serviceJson), nextCursor: page.nextCursor });
  });

  router.post('/accounts/:id/services', write, async (req, res) => {
    const s = await svc.createService(idParam(req), body(req), actor(res));
    res.status(201).location(`/api/v1/services/${s.id}`).json(serviceJson(s));
  });

  router.get('/services', read, async (req, res) => {
    const issues: FieldIssue[] = [];
    const rawAccountId = queryText(req, 'accountId', issues);
    const accountIdOk = rawAccountId === undefined || /^[1-9]\d{0,9}$/.test(rawAccountId);
    if (!accountIdOk) issues.push({ field: 'accountId', message: 'must be a positive whole number' });
    const filter: ServiceFilter = {
      accountId: rawAccountId !== undefined && accountIdOk ? Number(rawAccountId) : undefined,
      login: queryText(req, 'login', issues),
      nasName: queryText(req, 'nasName', issues),
      status: queryEnum<ServiceStatus>(req, 'status', SERVICE_STATUSES, issues),
    };
    const { limit, cursor } = pageParams(req, issues);
    failIf(issues);
    const page = await svc.listServices(filter, limit, cursor);
    res.json({ items: page.items.map(serviceJson), nextCursor: page.nextCursor });
  });

  router.get('/services/:id', read, async (req, res) => {
    res.json(serviceJson(await svc.getService(idParam(req))));
  });

  router.get('/services/:id/tariffs', read, async (req, res) => {
    const s = await svc.getService(idParam(req));
    const items = (await svc.tariffHistory(s.id)).map((h) => ({ tariff: h.code, from: new Date(h.fromMs).toISOString() }));
    res.json({ items });
  });

  router.patch('/services/:id', write, async (req, res) => {
    res.json(serviceJson(await svc.updateService(idParam(req), body(req), actor(res))));
  });

  router.post('/services/:id/end', write, async (req, res) => {
    res.json(serviceJson(await svc.endService(idParam(req), body(req), actor(res))));
  });
}
