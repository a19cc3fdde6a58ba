import type { Request, Response, Router } from 'express';
import { apiToken, requireApiRole } from '../api/router.js';
import type { StaffUser } from '../auth/index.js';
import { hasRole } from '../auth/index.js';
import { NotFoundError, ValidationError } from '../common/errors.js';
import { enforcementState, type EnforcementState } from '../common/wire.js';
import { requireRole } from '../web/guards.js';
import type { EnforcementService, EnforcementStatus } from './enforcement.service.js';
import type { EnforcementSubscribers } from './ports.js';

type Listed = Awaited<ReturnType<EnforcementService['list']>>[number];

function idParam(req: Request): number {
  const v = req.params.id;
  if (typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v)) return Number(v);
  throw new ValidationError('id must be a positive whole number', [{ field: 'id', message: 'must be a positive whole number' }]);
}

function stateParam(v: unknown, field = 'state'): EnforcementState | undefined {
  if (v === undefined || v === '') return undefined;
  const p = enforcementState.safeParse(v);
  if (!p.success) throw new ValidationError(`${field} must be active, suspended or throttled`, [{ field, message: 'must be active, suspended or throttled' }]);
  return p.data;
}

/** Staff set a service suspended or active again (throttling is fair use's or the API's). */
function staffChange(body: Record<string, unknown>): { desired: EnforcementState; rate: string | null; reason: string } {
  const desired = stateParam(body.desired, 'desired');
  if (!desired) throw new ValidationError('invalid enforcement change', [{ field: 'desired', message: 'must be active, suspended or throttled' }]);
  return { desired, rate: typeof body.rate === 'string' && body.rate !== '' ? body.rate : null, reason: typeof body.reason === 'string' ? body.reason : '' };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function itemJson(i: { serviceId: number; login: string | null; nasName: string | null } & EnforcementStatus) {
  return {
    serviceId: i.serviceId,
    login: i.login,
    device: i.nasName,
    desired: i.desired,
    rate: i.rate,
    version: i.version,
    cause: i.cause,
    since: i.changedAt.toISOString(),
    applied: i.applied,
    appliedVersion: i.appliedVersion,
    appliedAt: iso(i.appliedAt),
    error: i.error,
    confirmed: i.confirmed,
  };
}

/** The page's rows (finished strings: the template only prints). */
function pageRow(i: Listed) {
  return {
    ...itemJson(i),
    accountId: i.accountId,
    causeText: `${i.cause.kind.replace('_', ' ')}: ${i.cause.detail}`,
    by: i.cause.actor,
    stateText: i.desired === 'throttled' ? `throttled to ${i.rate}` : i.desired,
    confirmation: i.confirmed ? 'confirmed' : i.error ? 'failed' : 'pending',
  };
}

/** Per router or NAS: changes its agent has not confirmed (waiting, or failed with an error). */
function pendingByDevice(rows: Array<ReturnType<typeof pageRow>>): Array<{ device: string; pending: number; failed: number }> {
  const by = new Map<string, { device: string; pending: number; failed: number }>();
  for (const r of rows) {
    if (r.confirmation === 'confirmed') continue;
    const device = r.device ?? '(no router)';
    const e = by.get(device) ?? { device, pending: 0, failed: 0 };
    if (r.confirmation === 'failed') e.failed++;
    else e.pending++;
    by.set(device, e);
  }
  return [...by.values()].sort((a, b) => a.device.localeCompare(b.device));
}

export function enforcementPages(router: Router, deps: { enforcement: EnforcementService; subscribers: EnforcementSubscribers }): void {
  const render = async (res: Response, status: number, form: { serviceId?: string; desired?: string; reason?: string; error?: string } = {}) => {
    // The summary counts restores the agent has not confirmed yet too: they are what staff wait for.
    const all = (await deps.enforcement.list(undefined, { unconfirmedToo: true })).map(pageRow);
    const rows = all.filter((r) => r.desired !== 'active');
    const user = res.locals.user as StaffUser;
    res.status(status).render('enforcement/index', { title: 'Enforcement', rows, pendingByDevice: pendingByDevice(all), canWrite: hasRole(user.role, 'billing'), form });
  };
  router.get('/enforcement', requireRole('readonly'), async (_req, res) => render(res, 200));
  router.post('/enforcement', requireRole('billing'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const form = { serviceId: String(body.serviceId ?? ''), desired: String(body.desired ?? ''), reason: String(body.reason ?? '') };
    try {
      if (!/^[1-9]\d{0,9}$/.test(form.serviceId)) throw new ValidationError('service id must be a positive whole number');
      const id = Number(form.serviceId);
      if (!(await deps.subscribers.services([id])).has(id)) throw new NotFoundError(`no service ${id}`);
      const c = staffChange(body);
      if (c.desired === 'throttled') throw new ValidationError('staff suspend or restore here; throttling is set by fair use or the API');
      await deps.enforcement.setDesired({ serviceIds: [id], desired: c.desired, cause: { kind: 'staff', detail: c.reason, actor: `user:${(res.locals.user as StaffUser).id}` } });
      res.redirect(303, '/enforcement');
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof NotFoundError)) throw err;
      const msg = err.issues.length > 0 ? err.issues.map((i) => `${i.field}: ${i.message}`).join('; ') : err.message;
      await render(res, err instanceof NotFoundError ? 404 : 422, { ...form, error: msg });
    }
  });
}

export function enforcementApi(router: Router, deps: { enforcement: EnforcementService; subscribers: EnforcementSubscribers }): void {
  router.get('/enforcement', requireApiRole('readonly'), async (req, res) => {
    const state = stateParam(req.query.state);
    res.json({ items: (await deps.enforcement.list(state)).map(itemJson) });
  });
  router.post('/services/:id/enforcement', requireApiRole('billing'), async (req, res) => {
    const id = idParam(req);
    const service = (await deps.subscribers.services([id])).get(id);
    if (!service) throw new NotFoundError(`no service ${id}`);
    const c = staffChange((req.body ?? {}) as Record<string, unknown>);
    const [r] = await deps.enforcement.setDesired({ serviceIds: [id], desired: c.desired, rate: c.rate, cause: { kind: 'staff', detail: c.reason, actor: `token:${apiToken(res).id}` } });
    const s = (await deps.enforcement.stateOf([id])).get(id)!;
    res.json({ changed: r!.changed, ...itemJson({ serviceId: id, login: service.login, nasName: service.nasName, ...s }) });
  });
}
