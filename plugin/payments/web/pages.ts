import type { Request, Response, Router } from 'express';
import { DateTime } from 'luxon';
import type { StaffUser } from '../../auth/index.js';
import { hasRole } from '../../auth/index.js';
import { NotFoundError, UserError, ValidationError, type FieldIssue } from '../../common/errors.js';
import { formatMoney } from '../../common/money.js';
import type { SubscribersBillingPort } from '../../subscribers/index.js';
import { requireRole } from '../../web/guards.js';
import { amountFromText } from '../amount.js';
import { PAYMENT_METHODS, type PaymentMethod, type PaymentRecord } from '../payments.repository.js';
import type { PaymentsService } from '../payments.service.js';

export interface PaymentPagesDeps {
  payments: PaymentsService;
  accounts: Pick<SubscribersBillingPort, 'profiles'>;
  timezone: string;
  clock: { now(): Date };
}

const FIELDS = ['accountId', 'amount', 'method', 'reference', 'date', 'allocateTo'] as const;
const ID = /^[1-9]\d{0,9}$/;
const SHOWN = 100;

export const PAYMENTS_NAV = [{ href: '/payments', label: 'Payments', role: 'readonly' as const, order: 58 }];

const today = (deps: PaymentPagesDeps) => DateTime.fromJSDate(deps.clock.now(), { zone: deps.timezone }).toISODate()!;
const localDate = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd');
const canWrite = (res: Response) => !!res.locals.user && hasRole((res.locals.user as StaffUser).role, 'billing');
const actorOf = (res: Response) => `user:${(res.locals.user as StaffUser).id}`;

function paymentRow(p: PaymentRecord, names: Map<number, string>, zone: string) {
  const credit = p.amountMinor - p.allocatedMinor - p.refundedMinor;
  return {
    id: p.id, accountId: p.accountId, account: names.get(p.accountId) ?? `#${p.accountId}`, received: localDate(p.receivedAt, zone), method: p.method.replace('_', ' '),
    reference: p.reference ?? '', amount: formatMoney(p.amountMinor, p.currency), allocated: formatMoney(p.allocatedMinor, p.currency),
    credit: formatMoney(credit, p.currency), refunded: p.refundedMinor ? formatMoney(p.refundedMinor, p.currency) : '', status: p.status.replace('_', ' '),
  };
}

/** Reads the form: every problem at once, the amount parsed as decimal text in the account's currency. */
async function parseForm(req: Request, deps: PaymentPagesDeps) {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const v = Object.fromEntries(FIELDS.map((f) => [f, typeof b[f] === 'string' ? (b[f] as string).trim() : ''])) as Record<(typeof FIELDS)[number], string>;
  const issues: FieldIssue[] = [];
  const accountId = ID.test(v.accountId) ? Number(v.accountId) : null;
  const profile = accountId === null ? undefined : (await deps.accounts.profiles([accountId])).get(accountId);
  if (!profile) issues.push({ field: 'accountId', message: 'must be the id of an existing account' });
  let amountMinor: bigint | null = null;
  if (profile) {
    try {
      amountMinor = amountFromText(v.amount, profile.currency);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      issues.push(...err.issues);
    }
  }
  if (!(PAYMENT_METHODS as readonly string[]).includes(v.method)) issues.push({ field: 'method', message: 'choose a method' });
  const day = DateTime.fromISO(v.date, { zone: deps.timezone });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date) || !day.isValid) issues.push({ field: 'date', message: 'must be a date, YYYY-MM-DD' });
  else if (v.date > today(deps)) issues.push({ field: 'date', message: 'cannot be in the future' });
  if (v.reference.length > 200) issues.push({ field: 'reference', message: 'at most 200 characters' });
  if (v.allocateTo && !/^[1-9]\d{0,17}$/.test(v.allocateTo)) issues.push({ field: 'allocateTo', message: 'must be an invoice id, or empty for the oldest first' });
  return { values: v, issues, input: issues.length ? null : { accountId: accountId!, amountMinor: amountMinor!, currency: profile!.currency, method: v.method as PaymentMethod, reference: v.reference || null, receivedAt: day.startOf('day').toJSDate(), source: 'manual', externalId: null, ...(v.allocateTo ? { allocateTo: v.allocateTo } : {}) } };
}

/** Payments (list, record) and an account's statement. Readonly staff see; billing staff record. */
export function paymentPages(router: Router, deps: PaymentPagesDeps): void {
  const render = async (req: Request, res: Response, form: { values: Record<string, string>; errors: Record<string, string>; general: string[] }, status = 200) => {
    const accountId = typeof req.query.accountId === 'string' && ID.test(req.query.accountId) ? Number(req.query.accountId) : undefined;
    const page = await deps.payments.list({ accountId }, { limit: SHOWN, offset: 0 });
    const names = await deps.accounts.profiles([...new Set(page.rows.map((p) => p.accountId))]);
    res.status(status).render('payments/list', {
      title: 'Payments',
      canWrite: canWrite(res),
      methods: PAYMENT_METHODS.map((m) => ({ value: m, label: m.replace('_', ' ') })),
      rows: page.rows.map((p) => paymentRow(p, new Map([...names].map(([id, pr]) => [id, pr.name])), deps.timezone)),
      total: page.total,
      accountId: accountId ?? '',
      recorded: typeof req.query.recorded === 'string' ? req.query.recorded : '',
      ...form,
    });
  };

  router.get('/payments', (req, res) => render(req, res, { values: { date: today(deps), method: 'bank_transfer' }, errors: {}, general: [] }));

  router.post('/payments', requireRole('billing'), async (req, res) => {
    const { values, issues, input } = await parseForm(req, deps);
    const fail = (list: FieldIssue[]) => {
      const errors: Record<string, string> = {};
      const general: string[] = [];
      for (const i of list) (FIELDS as readonly string[]).includes(i.field) ? (errors[i.field] = i.message) : general.push(i.field ? `${i.field}: ${i.message}` : i.message);
      return render(req, res, { values, errors, general }, 422);
    };
    if (!input) return fail(issues);
    try {
      const r = await deps.payments.record(input, actorOf(res));
      res.redirect(303, `/payments?recorded=${r.paymentId}`);
    } catch (err) {
      if (!(err instanceof UserError) || err instanceof NotFoundError) throw err;
      return fail(err.issues.length ? err.issues.map((i) => (i.field === 'amountMinor' ? { ...i, field: 'amount' } : i)) : [{ field: '', message: err.message }]);
    }
  });

  const statement = async (req: Request, res: Response, form: { values: Record<string, string>; errors: Record<string, string>; general: string[] } = { values: {}, errors: {}, general: [] }, status = 200) => {
    const accountId = Number(req.params.id);
    const profile = (await deps.accounts.profiles([accountId])).get(accountId);
    if (!profile) throw new NotFoundError(`There is no account ${accountId}.`);
    const { balance, lines } = await deps.payments.statement(accountId, today(deps));
    const m = (v: bigint) => formatMoney(v, balance.currency);
    const holding = (await deps.payments.list({ accountId }, { limit: SHOWN, offset: 0 })).rows.filter((p) => p.amountMinor - p.allocatedMinor - p.refundedMinor > 0n);
    res.status(status).render('payments/statement', {
      canWrite: canWrite(res),
      notice: typeof req.query.done === 'string' ? ({ refunded: 'Refund recorded.', applied: 'Credit applied to open invoices.', nothing: 'No open invoice to apply credit to.' } as Record<string, string>)[req.query.done] ?? '' : '',
      refundable: holding.map((p) => ({ id: p.id, label: `#${p.id} of ${localDate(p.receivedAt, deps.timezone)}: ${m(p.amountMinor - p.allocatedMinor - p.refundedMinor)} not allocated` })),
      ...form,
      title: `Statement: ${profile.name}`,
      account: { id: accountId, name: profile.name, currency: profile.currency },
      balance: { invoiced: m(balance.invoicedMinor), credited: m(balance.creditedMinor), paid: m(balance.paidMinor), refunded: m(balance.refundedMinor), balance: m(balance.balanceMinor), credit: m(balance.creditMinor), open: m(balance.openMinor), overdue: m(balance.overdueMinor) },
      lines: lines.map((l) => ({ date: localDate(new Date(l.atMs), deps.timezone), kind: l.kind.replace('_', ' '), reference: l.reference, debit: l.signedMinor > 0n ? m(l.signedMinor) : '', credit: l.signedMinor < 0n ? m(-l.signedMinor) : '', balance: m(l.balanceMinor) })),
    });
  };

  router.get('/accounts/:id/statement', async (req, res, next) => {
    if (!ID.test(String(req.params.id))) return next();
    await statement(req, res);
  });

  // A refund of one payment's unallocated money, or (no payment chosen) of the account's credit.
  router.post('/accounts/:id/refunds', requireRole('billing'), async (req, res, next) => {
    if (!ID.test(String(req.params.id))) return next();
    const accountId = Number(req.params.id);
    const b = (req.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(['paymentId', 'amount', 'reason'].map((f) => [f, typeof b[f] === 'string' ? (b[f] as string).trim() : '']));
    const profile = (await deps.accounts.profiles([accountId])).get(accountId);
    if (!profile) throw new NotFoundError(`There is no account ${accountId}.`);
    try {
      const amount = amountFromText(values.amount!, profile.currency);
      if (values.paymentId) {
        const p = /^[1-9]\d{0,17}$/.test(values.paymentId) ? await deps.payments.get(values.paymentId).catch(() => null) : null;
        if (!p || p.accountId !== accountId) throw new ValidationError('choose a payment of this account', [{ field: 'paymentId', message: 'choose a payment of this account' }]);
        await deps.payments.refund(p.id, amount, values.reason!, actorOf(res));
      } else {
        await deps.payments.refundCredit(accountId, amount, values.reason!, actorOf(res));
      }
      res.redirect(303, `/accounts/${accountId}/statement?done=refunded`);
    } catch (err) {
      if (!(err instanceof UserError) || err instanceof NotFoundError) throw err;
      const errors: Record<string, string> = {};
      const general: string[] = [];
      for (const i of err.issues) ['paymentId', 'amount', 'reason'].includes(i.field) ? (errors[i.field] = i.message) : general.push(i.message);
      if (!err.issues.length) general.push(err.message);
      await statement(req, res, { values, errors, general }, 422);
    }
  });

  router.post('/accounts/:id/apply-credit', requireRole('billing'), async (req, res, next) => {
    if (!ID.test(String(req.params.id))) return next();
    const applied = await deps.payments.applyCredit(Number(req.params.id), actorOf(res));
    res.redirect(303, `/accounts/${req.params.id}/statement?done=${applied.length ? 'applied' : 'nothing'}`);
  });
}
