import type { Request, Response, Router } from 'express';
import { DateTime } from 'luxon';
import type { StaffUser } from '../../auth/index.js';
import { hasRole } from '../../auth/index.js';
import { NotFoundError, OperationalError, ValidationError, ConflictError, type FieldIssue } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { formatMoney } from '../../common/money.js';
import { requireRole } from '../../web/guards.js';
import { AGING_BUCKETS, agingTotals } from '../aging.js';
import type { AccountDecision, DunningService, EvaluationResult } from '../dunning.service.js';
import type { FollowUpService } from '../follow-up.service.js';
import { agingCsv } from './csv.js';

export const DUNNING_NAV = [
  { href: '/dunning', label: 'Dunning', role: 'readonly' as const, order: 65 },
  { href: '/dunning/follow-up', label: 'Follow-up', role: 'readonly' as const, order: 66 },
];

export interface DunningWebDeps {
  dunning: Pick<DunningService, 'evaluate'>;
  followUp: Pick<FollowUpService, 'list' | 'aging' | 'addNote' | 'setPromise' | 'setExemption'>;
  ready: { payments: boolean; enforcement: boolean };
  logger: Logger;
  timezone: string;
  /** Set where the host platform blocks overdue customers: the page previews, never runs. */
  hostBlocks?: string | null;
}

const actor = (res: Response) => `user:${(res.locals.user as StaffUser).id}`;
const canBill = (res: Response) => !!res.locals.user && hasRole((res.locals.user as StaffUser).role, 'billing');
const ACCOUNT_ID = /^[1-9]\d{0,15}$/;

function decisionRow(d: AccountDecision) {
  const x = d.decision;
  return {
    accountId: d.accountId,
    name: d.name,
    action: [x.suspend ? 'suspend' : '', x.restore ? 'restore' : '', x.remind.length ? `remind (${x.remind.map((r) => r.number).join(', ')})` : ''].filter(Boolean).join(', '),
    overdue: x.currency ? formatMoney(x.overdueMinor, x.currency) : '',
    daysPastDue: x.daysPastDue,
    reasons: x.reasons,
  };
}

function resultView(r: EvaluationResult, tz: string) {
  return {
    at: DateTime.fromJSDate(r.at, { zone: tz }).toFormat('yyyy-MM-dd HH:mm'),
    accounts: r.accounts,
    rows: r.decisions.map(decisionRow),
    suspended: r.suspended.length,
    restored: r.restored.length,
    reminders: r.reminders,
  };
}

/** Dunning pages: preview (readonly), run now (billing), follow-up list, aging report and CSV. */
export function dunningPages(router: Router, deps: DunningWebDeps): void {
  const billing = requireRole('billing');
  const missing = [!deps.ready.payments ? 'payments' : '', !deps.ready.enforcement ? 'enforcement' : ''].filter(Boolean);

  async function overview(res: Response, extra: { ran?: EvaluationResult; error?: string } = {}, status = 200) {
    let preview = null;
    let problem = extra.error ?? null;
    if (missing.length) problem = `Dunning cannot evaluate yet: this build has no ${missing.join(' or ')} module.`;
    else preview = resultView(await deps.dunning.evaluate({ dryRun: true, actor: actor(res) }), deps.timezone);
    if (deps.hostBlocks && !problem) problem = `${deps.hostBlocks} blocks overdue customers here, so Octet's dunning only previews (never both enforcing).`;
    res.status(status).render('dunning/index', { title: 'Dunning', preview, ran: extra.ran ? resultView(extra.ran, deps.timezone) : null, problem, canRun: canBill(res) && !missing.length && !deps.hostBlocks });
  }

  router.get('/dunning', async (_req, res) => overview(res));

  router.post('/dunning/run', billing, async (_req, res) => {
    if (missing.length) return overview(res, {}, 503);
    if (deps.hostBlocks) return overview(res, {}, 409);
    try {
      const ran = await deps.dunning.evaluate({ dryRun: false, actor: actor(res) });
      deps.logger.info('dunning run from the page', { by: actor(res), suspended: ran.suspended.length, restored: ran.restored.length });
      await overview(res, { ran });
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof OperationalError)) throw err;
      await overview(res, { error: err.message }, err instanceof ConflictError ? 409 : 503);
    }
  });

  async function followUpPage(res: Response, extra: { errors?: FieldIssue[]; accountId?: number } = {}, status = 200) {
    const rows = missing.length ? [] : await deps.followUp.list();
    res.status(status).render('dunning/follow-up', {
      title: 'Follow-up',
      problem: missing.length ? `Needs the ${missing.join(' and ')} module.` : null,
      canEdit: canBill(res),
      errors: extra.errors ?? [],
      errorAccount: extra.accountId ?? null,
      rows: rows.map((r) => ({
        ...r,
        overdue: formatMoney(r.overdueMinor, r.currency),
        notes: r.notes.map((n) => ({ note: n.note, by: n.createdBy, at: DateTime.fromJSDate(n.createdAt, { zone: deps.timezone }).toFormat('yyyy-MM-dd HH:mm') })),
      })),
    });
  }

  router.get('/dunning/follow-up', async (_req, res) => followUpPage(res));

  const field = (req: Request, name: string) => {
    const v = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' ? v : '';
  };
  const action = (run: (id: number, req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response, next: (e?: unknown) => void) => {
    if (!ACCOUNT_ID.test(String(req.params.id))) return next();
    const id = Number(req.params.id);
    try {
      await run(id, req, res);
      res.redirect(303, `/dunning/follow-up#account-${id}`);
    } catch (err) {
      if (err instanceof ValidationError) return followUpPage(res, { errors: err.issues, accountId: id }, 422);
      if (err instanceof NotFoundError) return followUpPage(res, { errors: [{ field: '', message: err.message }], accountId: id }, 404);
      throw err;
    }
  };

  router.post('/dunning/accounts/:id/notes', billing, action((id, req, res) => deps.followUp.addNote(id, field(req, 'note'), actor(res))));
  router.post('/dunning/accounts/:id/promise', billing, action((id, req, res) => deps.followUp.setPromise(id, field(req, 'until').trim() || null, field(req, 'note') || null, actor(res))));
  router.post('/dunning/accounts/:id/exemption', billing, action((id, req, res) => deps.followUp.setExemption(id, field(req, 'exempt') === 'on', field(req, 'reason') || null, actor(res))));

  router.get('/dunning/aging', async (_req, res) => {
    if (missing.length) return res.status(503).render('dunning/aging', { title: 'Receivables aging', problem: `Needs the ${missing.join(' and ')} module.`, buckets: AGING_BUCKETS, rows: [], totals: [], today: '' });
    const { today, rows } = await deps.followUp.aging();
    const fmt = (b: Record<string, bigint>, cur: string) => Object.fromEntries(AGING_BUCKETS.map((k) => [k, formatMoney(b[k]!, cur)]));
    res.render('dunning/aging', {
      title: 'Receivables aging',
      problem: null,
      today,
      buckets: AGING_BUCKETS,
      rows: rows.map((r) => ({ accountId: r.accountId, name: r.name, cells: fmt(r.buckets, r.currency), total: formatMoney(r.totalMinor, r.currency) })),
      totals: agingTotals(rows).map((t) => ({ currency: t.currency, cells: fmt(t.buckets, t.currency), total: formatMoney(t.totalMinor, t.currency) })),
    });
  });

  router.get('/dunning/aging.csv', async (_req, res) => {
    if (missing.length) throw new OperationalError(`the aging report needs the ${missing.join(' and ')} module`, { retryable: false });
    const { today, rows } = await deps.followUp.aging();
    res.set('Content-Type', 'text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="aging-${today}.csv"`).send(agingCsv(rows));
  });
}
