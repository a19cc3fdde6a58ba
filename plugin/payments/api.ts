import type { Request, Response, Router } from 'express';
import { DateTime } from 'luxon';
import { apiToken, requireApiRole } from '../api/router.js';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import { amountFromMinorText } from './amount.js';
import { PAYMENT_METHODS, type PaymentMethod, type PaymentRecord } from './payments.repository.js';
import type { AccountBalance, PaymentsService } from './payments.service.js';

/**
 * Payments over REST (/api/v1), as plugin/api/openapi.yaml describes it. Amounts are integer
 * minor units as decimal strings with the currency beside them, as for invoices.
 */
export interface PaymentsApiDeps {
  payments: PaymentsService;
  timezone: string;
  clock: { now(): Date };
}

const ID = /^[1-9]\d{0,9}$/;

function failIf(issues: FieldIssue[]): void {
  if (issues.length) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);
}

/** #/components/schemas/Payment */
export function paymentJson(p: PaymentRecord) {
  return {
    id: p.id, accountId: p.accountId, amountMinor: p.amountMinor.toString(), currency: p.currency, method: p.method, reference: p.reference,
    receivedAt: p.receivedAt.toISOString(), source: p.source, externalId: p.externalId, status: p.status,
    allocatedMinor: p.allocatedMinor.toString(), refundedMinor: p.refundedMinor.toString(), creditMinor: (p.amountMinor - p.allocatedMinor - p.refundedMinor).toString(),
    createdBy: p.createdBy, createdAt: p.createdAt.toISOString(),
  };
}

function balanceJson(b: AccountBalance) {
  return {
    accountId: b.accountId, currency: b.currency, invoicedMinor: b.invoicedMinor.toString(), creditedMinor: b.creditedMinor.toString(), paidMinor: b.paidMinor.toString(),
    refundedMinor: b.refundedMinor.toString(), balanceMinor: b.balanceMinor.toString(), creditMinor: b.creditMinor.toString(), openMinor: b.openMinor.toString(), overdueMinor: b.overdueMinor.toString(),
  };
}

function accountParam(req: Request): number {
  const v = String(req.params.id);
  if (ID.test(v)) return Number(v);
  throw new ValidationError('id must be a positive whole number', [{ field: 'id', message: 'must be a positive whole number' }]);
}

const optText = (b: Record<string, unknown>, field: string, max: number, issues: FieldIssue[]): string | null => {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length < 1 || v.length > max) (issues.push({ field, message: `must be 1 to ${max} characters, or null` }), null);
  return typeof v === 'string' ? v : null;
};

/** Reads POST /payments: every bad field named at once. */
function parseRecord(req: Request) {
  const raw = req.body as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ValidationError('the request body must be a JSON object', [{ field: '', message: 'must be a JSON object' }]);
  const b = raw as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const known = ['accountId', 'amountMinor', 'currency', 'method', 'reference', 'receivedAt', 'source', 'externalId', 'allocateTo'];
  for (const k of Object.keys(b)) if (!known.includes(k)) issues.push({ field: k, message: 'is not a field of a payment' });
  if (!Number.isSafeInteger(b.accountId) || (b.accountId as number) < 1) issues.push({ field: 'accountId', message: 'must be a positive whole number' });
  let amountMinor = 0n;
  try {
    amountMinor = amountFromMinorText(b.amountMinor);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    issues.push(...err.issues);
  }
  if (typeof b.currency !== 'string' || !/^[A-Z]{3}$/.test(b.currency)) issues.push({ field: 'currency', message: 'must be the ISO 4217 code of the account currency, e.g. EUR' });
  if (!(PAYMENT_METHODS as readonly unknown[]).includes(b.method)) issues.push({ field: 'method', message: `must be one of ${PAYMENT_METHODS.join(', ')}` });
  const reference = optText(b, 'reference', 200, issues);
  const receivedAt = typeof b.receivedAt === 'string' ? DateTime.fromISO(b.receivedAt, { setZone: true }) : null;
  if (!receivedAt || !receivedAt.isValid || !/T.*(Z|[+-]\d{2}:?\d{2})$/.test(String(b.receivedAt))) issues.push({ field: 'receivedAt', message: 'must be a date-time with its offset, e.g. 2026-03-10T09:30:00Z' });
  const source = b.source === undefined ? 'api' : optText(b, 'source', 60, issues);
  const externalId = optText(b, 'externalId', 200, issues);
  if (b.allocateTo !== undefined && (typeof b.allocateTo !== 'string' || !/^[1-9]\d{0,17}$/.test(b.allocateTo))) issues.push({ field: 'allocateTo', message: 'must be an invoice id (a string of digits)' });
  failIf(issues);
  return {
    accountId: b.accountId as number, amountMinor, currency: b.currency as string, method: b.method as PaymentMethod, reference, receivedAt: receivedAt!.toJSDate(),
    source: source ?? 'api', externalId, ...(b.allocateTo !== undefined ? { allocateTo: b.allocateTo as string } : {}),
  };
}

function pageOf(req: Request) {
  const issues: FieldIssue[] = [];
  const num = (name: string, dflt: number, min: number, max: number) => {
    const v = req.query[name];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) (issues.push({ field: name, message: `must be a whole number from ${min} to ${max}` }), 0);
    return Number(v);
  };
  const a = req.query.accountId;
  if (a !== undefined && (typeof a !== 'string' || !ID.test(a))) issues.push({ field: 'accountId', message: 'must be a positive whole number' });
  const limit = num('limit', 50, 1, 200);
  const offset = num('offset', 0, 0, 1e9);
  failIf(issues);
  return { accountId: a === undefined ? undefined : Number(a), limit, offset };
}

export function paymentsApi(router: Router, deps: PaymentsApiDeps): void {
  const today = () => DateTime.fromJSDate(deps.clock.now(), { zone: deps.timezone }).toISODate()!;

  router.post('/payments', requireApiRole('billing'), async (req: Request, res: Response) => {
    const input = parseRecord(req);
    const r = await deps.payments.record(input, `token:${apiToken(res).id}`);
    const p = await deps.payments.get(r.paymentId);
    res.status(r.duplicate ? 200 : 201).location(`/api/v1/payments?accountId=${p.accountId}`).json({ duplicate: r.duplicate, payment: paymentJson(p) });
  });

  router.get('/payments', async (req, res) => {
    const q = pageOf(req);
    const page = await deps.payments.list({ accountId: q.accountId }, { limit: q.limit, offset: q.offset });
    res.json({ items: page.rows.map(paymentJson), total: page.total, limit: q.limit, offset: q.offset });
  });

  const refundBody = (req: Request) => {
    const b = (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    const issues: FieldIssue[] = [];
    let amountMinor = 0n;
    try {
      amountMinor = amountFromMinorText(b.amountMinor);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      issues.push(...err.issues);
    }
    if (typeof b.reason !== 'string' || !b.reason.trim() || b.reason.length > 300) issues.push({ field: 'reason', message: 'say why, in 1 to 300 characters' });
    failIf(issues);
    return { amountMinor, reason: b.reason as string };
  };

  router.post('/payments/:id/refunds', requireApiRole('billing'), async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!/^[1-9]\d{0,17}$/.test(id)) throw new ValidationError('id must be a positive whole number', [{ field: 'id', message: 'must be a positive whole number' }]);
    const { amountMinor, reason } = refundBody(req);
    await deps.payments.refund(id, amountMinor, reason, `token:${apiToken(res).id}`);
    res.status(201).json(paymentJson(await deps.payments.get(id)));
  });

  router.post('/accounts/:id/refunds', requireApiRole('billing'), async (req: Request, res: Response) => {
    const accountId = accountParam(req);
    const { amountMinor, reason } = refundBody(req);
    await deps.payments.balance(accountId, today()); // 404 for an unknown account
    await deps.payments.refundCredit(accountId, amountMinor, reason, `token:${apiToken(res).id}`);
    res.status(201).json(balanceJson(await deps.payments.balance(accountId, today())));
  });

  router.get('/accounts/:id/balance', async (req, res) => {
    res.json(balanceJson(await deps.payments.balance(accountParam(req), today())));
  });

  router.get('/accounts/:id/statement', async (req, res) => {
    const s = await deps.payments.statement(accountParam(req), today());
    res.json({
      balance: balanceJson(s.balance),
      lines: s.lines.map((l) => ({ at: new Date(l.atMs).toISOString(), kind: l.kind, id: l.id, reference: l.reference, amountMinor: l.amountMinor.toString(), signedMinor: l.signedMinor.toString(), balanceMinor: l.balanceMinor.toString() })),
    });
  });
}
