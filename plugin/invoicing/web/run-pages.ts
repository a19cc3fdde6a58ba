import type { Request, Response, Router } from 'express';
import { formatBytes } from '../../common/bytes.js';
import { ConflictError, ValidationError, type FieldIssue } from '../../common/errors.js';
import { requireRole } from '../../web/guards.js';
import { pageActor, type InvoicingWebDeps, type RunProgress } from './deps.js';
import { localInstant, money } from './filters.js';
import { canBill, formErrors, type PageErrors } from './page-forms.js';

/** Exact bytes with a readable size beside them; a negative difference keeps its sign. */
function bytesText(text: string): string {
  const n = BigInt(text);
  return `${n < 0n ? '-' : ''}${formatBytes(n < 0n ? -n : n)} (${text} B)`;
}

const RUN_ID = /^[1-9]\d{0,17}$/;
const PERIOD = /^\d{4}-\d{2}-\d{2}$/;
/** A running run's page reloads itself this often (an HTTP Refresh header: the CSP allows no inline script). */
export const REFRESH_SECONDS = 2;

const STATUS_WORDS: Record<RunProgress['status'], string> = { running: 'running', finished: 'finished', failed: 'failed', interrupted: 'interrupted (it resumes when started again)' };

function runRow(r: RunProgress, tz: string) {
  return {
    id: r.id,
    periodKey: r.periodKey,
    kind: r.dryRun ? 'preview (dry run)' : 'billing run',
    status: r.status,
    statusText: STATUS_WORDS[r.status] ?? r.status,
    startedBy: r.startedBy,
    startedAt: localInstant(r.startedAt, tz),
    finishedAt: localInstant(r.finishedAt, tz),
    accountsSeen: r.accountsSeen,
    invoicesIssued: r.invoicesIssued,
    creditNotesIssued: r.creditNotesIssued,
    accountsAlreadyBilled: r.accountsAlreadyBilled,
    accountsFailed: r.accountsFailed,
  };
}

/** Billing runs: the list with the form to start one, a run's progress and results, reconciliation. */
export function runPages(router: Router, deps: InvoicingWebDeps): void {
  const billing = requireRole('billing');

  async function listPage(res: Response, extra: { errors?: PageErrors; values?: Record<string, string> } = {}, status = 200) {
    const [runs, due] = await Promise.all([deps.billing.runs(50), deps.billing.duePeriods()]);
    res.status(status).render('billing/runs', {
      title: 'Billing runs',
      runs: runs.map((r) => runRow(r, deps.timezone)),
      due,
      canStart: canBill(res),
      errors: extra.errors ?? formErrors([]),
      values: extra.values ?? { period: due[0] ?? '', mode: 'preview' },
    });
  }

  router.get('/billing/runs', async (_req, res) => listPage(res));

  router.post('/billing/runs', billing, async (req: Request, res: Response) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const values = { period: typeof b.period === 'string' ? b.period.trim() : '', mode: b.mode === 'run' ? 'run' : 'preview', confirm: b.confirm === 'on' || b.confirm === 'yes' ? 'on' : '' };
    const due = await deps.billing.duePeriods();
    const issues: FieldIssue[] = [];
    if (!due.includes(values.period)) issues.push({ field: 'period', message: due.length ? `choose one of the due periods: ${due.join(', ')}` : 'no period is due for billing now' });
    if (values.mode === 'run' && !values.confirm) issues.push({ field: 'confirm', message: 'tick the box to confirm: a real run issues numbered invoices, which cannot be undone (only credited)' });
    if (issues.length) return listPage(res, { errors: formErrors(issues), values }, 422);
    try {
      const { runId } = await deps.billing.start(values.period, { dryRun: values.mode !== 'run', by: pageActor(res) });
      deps.logger.info('billing run started from the runs page', { runId, periodKey: values.period, dryRun: values.mode !== 'run', by: pageActor(res) });
      res.redirect(303, `/billing/runs/${runId}`);
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
      await listPage(res, { errors: formErrors(err.issues.length ? err.issues : [{ field: '', message: err.message }]), values }, 422);
    }
  });

  router.get('/billing/runs/:id', async (req, res, next) => {
    if (!RUN_ID.test(String(req.params.id))) return next();
    const run = await deps.billing.progress(String(req.params.id));
    if (run.status === 'running') res.set('Refresh', String(REFRESH_SECONDS));
    res.render('billing/run', {
      title: `${run.dryRun ? 'Preview' : 'Billing run'} ${run.id} for ${run.periodKey}`,
      run: runRow(run, deps.timezone),
      running: run.status === 'running',
      failure: run.failure ?? '',
      refreshSeconds: REFRESH_SECONDS,
      dryRun: run.dryRun,
      errors: run.errors.map((e) => ({ accountId: e.accountId, message: e.message })),
      totals: run.totals.map((t) => ({ currency: t.currency, invoiced: money(t.invoicedMinor, t.currency), credited: money(t.creditedMinor, t.currency), net: money(BigInt(t.invoicedMinor) - BigInt(t.creditedMinor), t.currency) })),
      preview: run.preview.map((p) => ({ accountId: p.accountId, name: p.name, lines: p.lines, total: money(p.totalMinor, p.currency), credit: BigInt(p.creditMinor) === 0n ? '' : money(p.creditMinor, p.currency) })),
    });
  });

  router.get('/billing/reconcile', async (req, res) => {
    const due = await deps.billing.duePeriods();
    const period = typeof req.query.period === 'string' ? req.query.period.trim() : '';
    const periods = [...new Set([...due, ...(await deps.reports.periods(24))])].sort().reverse();
    if (period && !PERIOD.test(period)) {
      return res.status(422).render('billing/reconcile', { title: 'Reconciliation', periods, period, result: null, errors: formErrors([{ field: 'period', message: 'must be a period start date as YYYY-MM-DD' }]) });
    }
    const result = period ? await deps.billing.reconcile(period) : null;
    res.render('billing/reconcile', {
      title: 'Reconciliation',
      periods,
      period,
      errors: formErrors([]),
      result: result && {
        periodKey: result.periodKey,
        invoices: result.invoices,
        differences: result.differences.map((d) => ({ ...d, billed: bytesText(d.billedBytes), usage: bytesText(d.usageBytes), adjustments: bytesText(d.adjustmentsBytes), difference: bytesText(d.differenceBytes), window: d.from && d.to ? `${d.from} – ${d.to}` : '' })),
      },
    });
  });
}
