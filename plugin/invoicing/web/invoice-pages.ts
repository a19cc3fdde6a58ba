import { renderInputOf } from '../delivery/render-input.js';
import type { NextFunction, Request, Response, Router } from 'express';
import { formatBytes } from '../../common/bytes.js';
import { ConflictError, ValidationError, type FieldIssue } from '../../common/errors.js';
import { requireRole } from '../../web/guards.js';
import { buildInvoiceView } from '../document/invoice-view.js';
import { loadInvoiceTemplate, type InvoiceTemplate } from '../document/template.js';
import { canMove } from '../invoice.js';
import { pageActor, type InvoicingWebDeps } from './deps.js';
import { DOCUMENT_TYPES, invoiceRow, localInstant, money, parseInvoiceFilter, TYPE_LABEL } from './filters.js';
import { INVOICE_STATUSES } from '../invoice.js';
import { canBill, formErrors, type PageErrors } from './page-forms.js';

const PAGE_SIZE = 50;
const ID = /^[1-9]\d{0,17}$/;

/** The invoice list, one document's page, its credit note and its e-mail again. */
export function invoicePages(router: Router, deps: InvoicingWebDeps): void {
  const billing = requireRole('billing');
  let template: InvoiceTemplate | undefined = deps.template;
  const render = (view: Parameters<InvoiceTemplate>[0]) => (template ??= loadInvoiceTemplate())(view);

  router.get('/invoices', async (req, res) => {
    const { filter, values, issues } = parseInvoiceFilter(req.query as Record<string, unknown>);
    const pageNo = typeof req.query.page === 'string' && /^[1-9]\d{0,5}$/.test(req.query.page) ? Number(req.query.page) : 1;
    const result = issues.length ? { rows: [], total: 0 } : await deps.invoices.list(filter, { limit: PAGE_SIZE, offset: (pageNo - 1) * PAGE_SIZE });
    const names = await namesOf(deps, result.rows.map((r) => r.accountId));
    const query = (page: number) => `/invoices?${new URLSearchParams({ ...values, page: String(page) })}`;
    const exportQuery = new URLSearchParams({ ...(values.issuedFrom ? { from: values.issuedFrom } : {}), ...(values.issuedTo ? { to: values.issuedTo } : {}), ...(values.type ? { type: values.type } : {}) });
    res.status(issues.length ? 422 : 200).render('invoices/list', {
      title: 'Invoices',
      values,
      errors: formErrors(issues),
      statuses: INVOICE_STATUSES,
      types: DOCUMENT_TYPES.map((t) => ({ value: t, label: TYPE_LABEL[t] })),
      rows: result.rows.map((r) => invoiceRow(r, names.get(r.accountId))),
      total: result.total,
      pageNo,
      prev: pageNo > 1 ? query(pageNo - 1) : null,
      next: pageNo * PAGE_SIZE < result.total ? query(pageNo + 1) : null,
      exportHref: `/invoices/export.csv${exportQuery.size ? `?${exportQuery}` : ''}`,
    });
  });

  async function showPage(req: Request, res: Response, extra: { errors?: PageErrors; values?: Record<string, string>; notice?: string } = {}, status = 200) {
    const id = String(req.params.id);
    const record = await deps.invoices.get(id);
    const snapshot = await deps.invoices.snapshot(id);
    const [usage, names, history, related] = await Promise.all([
      deps.invoices.usage(id),
      namesOf(deps, [record.accountId]),
      deps.delivery?.mail ? deps.delivery.mail.history(id) : Promise.resolve(null),
      record.type === 'invoice' ? deps.invoices.list({ accountId: record.accountId, type: 'credit_note' }, { limit: 200, offset: 0 }) : Promise.resolve({ rows: [], total: 0 }),
    ]);
    const html = render(
      buildInvoiceView(renderInputOf(snapshot)),
    );
    const tz = deps.timezone;
    const writer = canBill(res);
    const creditable = record.type === 'invoice' && record.status !== 'void' && record.status !== 'draft';
    res.status(status).render('invoices/show', {
      title: `${TYPE_LABEL[record.type]} ${record.number ?? '(draft)'}`,
      invoice: { ...invoiceRow(record, names.get(record.accountId)), currency: record.currency, voidReason: record.voidReason ?? '' },
      documentHtml: html,
      corrects: snapshot.corrects,
      creditNotes: related.rows.filter((r) => r.creditedInvoiceId === record.id).map((r) => ({ id: r.id, number: r.number ?? '', total: money(r.totalMinor, r.currency), status: r.status })),
      statusHistory: [
        { label: 'Issued', at: localInstant(record.issuedAt, tz) },
        { label: 'Sent', at: localInstant(record.sentAt, tz) },
        { label: 'Paid', at: localInstant(record.paidAt, tz) },
        { label: 'Void', at: localInstant(record.voidedAt, tz) },
      ].filter((h) => h.at !== ''),
      usage: usage.map((u) => ({ serviceId: u.serviceId, from: localInstant(new Date(u.fromMs), tz), to: localInstant(new Date(u.toMs), tz), kind: u.kind === 'adjustment' ? 'late adjustment' : 'usage window', download: formatBytes(u.download), upload: formatBytes(u.upload) })),
      mailAvailable: !!deps.delivery?.mail,
      mailHistory: (history ?? []).map((h) => ({ id: h.id ?? '', retry: writer && h.status === 'failed' && !!h.id, to: h.to, status: h.status, attempts: h.attempts ?? '', lastError: h.lastError ?? '', at: localInstant(h.sentAt ?? h.createdAt ?? null, tz) })),
      lines: snapshot.document.lines.map((l, i) => ({ position: i + 1, description: l.description, amount: money(l.amountMinor, snapshot.currency) })),
      canCredit: writer && creditable,
      canVoid: writer && creditable && canMove(record.status, 'void'),
      canResend: writer && !!deps.delivery?.mail && record.status !== 'draft',
      errors: extra.errors ?? formErrors([]),
      values: extra.values ?? { scope: 'whole' },
      notice: extra.notice ?? (req.query.notice === 'resent' ? 'The e-mail is queued; its attempts are listed below.' : ''),
    });
  }

  router.get('/invoices/:id', async (req, res, next) => {
    if (!ID.test(String(req.params.id))) return next(); // e.g. H3's /invoices/export.csv
    await showPage(req, res);
  });

  router.post('/invoices/:id/credit-notes', billing, async (req: Request, res: Response, next: NextFunction) => {
    if (!ID.test(String(req.params.id))) return next();
    const b = (req.body ?? {}) as Record<string, unknown>;
    const values = { reason: typeof b.reason === 'string' ? b.reason.trim() : '', scope: b.scope === 'lines' ? 'lines' : 'whole', void: b.void === 'on' || b.void === 'true' ? 'on' : '' };
    const raw = b.lines === undefined ? [] : Array.isArray(b.lines) ? b.lines : [b.lines];
    const lineCount = (await deps.invoices.snapshot(String(req.params.id))).document.lines.length;
    const issues: FieldIssue[] = [];
    if (!values.reason) issues.push({ field: 'reason', message: 'is required: say why the invoice is corrected' });
    if (values.reason.length > 300) issues.push({ field: 'reason', message: 'must be at most 300 characters' });
    const lines = raw.map((x) => (typeof x === 'string' && /^\d{1,4}$/.test(x) ? Number(x) : NaN));
    if (values.scope === 'lines') {
      if (lines.length === 0) issues.push({ field: 'lines', message: 'choose at least one line, or credit the whole invoice' });
      if (lines.some((n) => !Number.isInteger(n) || n < 1 || n > lineCount)) issues.push({ field: 'lines', message: `must be line numbers from 1 to ${lineCount}` });
      if (values.void) issues.push({ field: 'void', message: 'only a credit note for the whole invoice can void it' });
    }
    const chosen = Object.fromEntries(lines.filter(Number.isInteger).map((n) => [`line${n}`, 'on']));
    if (issues.length) return showPage(req, res, { errors: formErrors(issues), values: { ...values, ...chosen } }, 422);
    try {
      const cn = await deps.billing.creditNote(String(req.params.id), {
        reason: values.reason,
        by: pageActor(res),
        ...(values.scope === 'lines' ? { lines: [...new Set(lines)].sort((a, c) => a - c) } : {}),
        ...(values.void ? { void: true } : {}),
      });
      deps.logger.info('credit note issued from the invoice page', { invoiceId: req.params.id, creditNoteId: cn.creditNoteId, number: cn.number, by: pageActor(res) });
      res.redirect(303, `/invoices/${cn.creditNoteId}`);
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
      await showPage(req, res, { errors: formErrors(err.issues.length ? err.issues : [{ field: '', message: err.message }]), values: { ...values, ...chosen } }, 422);
    }
  });

  router.post('/invoices/:id/resend', billing, async (req, res, next) => {
    if (!ID.test(String(req.params.id))) return next();
    const mail = deps.delivery?.mail;
    if (!mail) throw new ConflictError('e-mail delivery is not configured (smtp in the config file)');
    const record = await deps.invoices.get(String(req.params.id));
    const b = (req.body ?? {}) as Record<string, unknown>;
    const profile = (await deps.accounts.profiles([record.accountId])).get(record.accountId);
    const to = (typeof b.to === 'string' && b.to.trim()) || profile?.billingEmail || profile?.email || '';
    if (!/^[^\s@]+@[^\s@]+$/.test(to)) {
      return showPage(req, res, { errors: formErrors([{ field: 'to', message: to ? 'is not an e-mail address' : 'the account has no e-mail address: give one' }]), values: { to } }, 422);
    }
    await mail.enqueue(record.id, to, undefined, pageActor(res));
    await deps.audit.record({ actor: pageActor(res), action: 'invoice.resend', entityType: 'invoice', entityId: record.id, details: { to } });
    res.redirect(303, `/invoices/${record.id}?notice=resent`);
  });
}

export async function namesOf(deps: Pick<InvoicingWebDeps, 'accounts'>, ids: number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const profiles = await deps.accounts.profiles(unique);
  return new Map([...profiles.entries()].map(([id, p]) => [id, p.name]));
}
