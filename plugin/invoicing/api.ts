import type { Request, Response, Router } from 'express';
import { apiToken, requireApiRole } from '../api/router.js';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import type { BilledUsageRow, InvoiceRecord } from './invoices.repository.js';
import type { InvoiceSnapshot } from './snapshot.js';
import type { InvoicingWebDeps, RunProgress } from './web/deps.js';
import { parseInvoiceFilter } from './web/filters.js';

/**
 * The REST API for invoices and billing runs (/api/v1, bearer tokens), as plugin/api/openapi.yaml
 * describes it. Amounts are integer minor units as decimal strings with the currency beside
 * them (no JSON number can hold every BIGINT, and no float ever holds money); bytes likewise.
 */
export type InvoicingApiDeps = Pick<InvoicingWebDeps, 'invoices' | 'billing' | 'logger'>;

const ID = /^[1-9]\d{0,17}$/;
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function idParam(req: Request): string {
  const v = String(req.params.id);
  if (ID.test(v)) return v;
  throw new ValidationError('id must be a positive whole number', [{ field: 'id', message: 'must be a positive whole number' }]);
}

function failIf(issues: FieldIssue[]): void {
  if (issues.length) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);
}

function actor(res: Response): string {
  return `token:${apiToken(res).id}`;
}

function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined) return {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ValidationError('the request body must be a JSON object', [{ field: '', message: 'must be a JSON object' }]);
  return b as Record<string, unknown>;
}

/** #/components/schemas/InvoiceSummary */
export function invoiceJson(r: InvoiceRecord) {
  return {
    id: r.id,
    type: r.type,
    number: r.number,
    accountId: r.accountId,
    periodKey: r.periodKey,
    periodFrom: new Date(r.periodFromMs).toISOString(),
    periodTo: new Date(r.periodToMs).toISOString(),
    status: r.status,
    currency: r.currency,
    issuedAt: iso(r.issuedAt),
    issueDate: r.issueDate,
    dueDate: r.dueDate,
    netMinor: r.netMinor.toString(),
    taxMinor: r.taxMinor.toString(),
    totalMinor: r.totalMinor.toString(),
    creditedInvoiceId: r.creditedInvoiceId,
    billingRunId: r.billingRunId,
    sentAt: iso(r.sentAt),
    paidAt: iso(r.paidAt),
    voidedAt: iso(r.voidedAt),
    voidReason: r.voidReason,
  };
}

/** #/components/schemas/Invoice: the header, the issued lines, taxes and totals, and the billed usage. */
export function invoiceDetailJson(r: InvoiceRecord, s: InvoiceSnapshot, usage: BilledUsageRow[]) {
  const doc = s.document;
  return {
    ...invoiceJson(r),
    corrects: s.corrects,
    lines: doc.lines.map((l, i) => ({
      position: i + 1,
      kind: l.kind,
      description: l.description,
      serviceId: s.lineServices[i] ?? null,
      tariff: l.tariff ? { code: l.tariff.code, version: l.tariff.version } : null,
      from: new Date(l.fromMs).toISOString(),
      to: new Date(l.toMs).toISOString(),
      quantity: l.quantity.toFixed(),
      unit: l.unit,
      unitPrice: l.unitPrice === null ? null : l.unitPrice.toFixed(),
      preciseAmount: l.preciseAmount.toFixed(),
      amountMinor: l.amountMinor.toString(),
      taxMinor: doc.lineTaxes[i]?.taxMinor == null ? null : doc.lineTaxes[i]!.taxMinor!.toString(),
    })),
    taxes: doc.taxes.map((t) => ({ name: t.name, percent: t.percent, exemptReason: t.exemptReason, netMinor: t.netMinor.toString(), taxMinor: t.taxMinor.toString(), grossMinor: t.grossMinor.toString() })),
    totals: { currency: s.currency, netMinor: doc.totals.netMinor.toString(), taxMinor: doc.totals.taxMinor.toString(), totalMinor: doc.totals.totalMinor.toString() },
    usage: usage.map((u) => ({ serviceId: u.serviceId, from: new Date(u.fromMs).toISOString(), to: new Date(u.toMs).toISOString(), kind: u.kind, downloadBytes: u.download.toString(), uploadBytes: u.upload.toString() })),
  };
}

/** #/components/schemas/BillingRun */
export function runJson(r: RunProgress) {
  return {
    id: r.id,
    periodKey: r.periodKey,
    dryRun: r.dryRun,
    status: r.status,
    startedBy: r.startedBy,
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    accountsSeen: r.accountsSeen,
    invoicesIssued: r.invoicesIssued,
    creditNotesIssued: r.creditNotesIssued,
    accountsAlreadyBilled: r.accountsAlreadyBilled,
    accountsFailed: r.accountsFailed,
    failure: r.failure ?? null,
    errors: r.errors.map((e) => ({ accountId: e.accountId, message: e.message })),
    preview: r.preview.map((p) => ({ accountId: p.accountId, name: p.name, currency: p.currency, lines: p.lines, totalMinor: p.totalMinor, creditMinor: p.creditMinor })),
    totals: r.totals.map((t) => ({ currency: t.currency, invoicedMinor: t.invoicedMinor, creditedMinor: t.creditedMinor })),
  };
}

export function invoicingApi(router: Router, deps: InvoicingApiDeps): void {
  const read = requireApiRole('readonly');
  const write = requireApiRole('billing');

  router.get('/invoices', read, async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const { filter, issues } = parseInvoiceFilter(q);
    const num = (name: string, def: number, min: number, max: number) => {
      const v = q[name];
      if (v === undefined) return def;
      if (typeof v === 'string' && /^\d{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max) return Number(v);
      issues.push({ field: name, message: `must be a whole number from ${min} to ${max}` });
      return def;
    };
    const limit = num('limit', 50, 1, 200);
    const offset = num('offset', 0, 0, 100_000_000);
    failIf(issues);
    const page = await deps.invoices.list(filter, { limit, offset });
    res.json({ items: page.rows.map(invoiceJson), total: page.total, limit, offset });
  });

  router.get('/invoices/:id', read, async (req, res) => {
    const id = idParam(req);
    const record = await deps.invoices.get(id);
    const [snapshot, usage] = await Promise.all([deps.invoices.snapshot(id), deps.invoices.usage(id)]);
    res.json(invoiceDetailJson(record, snapshot, usage));
  });

  router.post('/invoices/:id/credit-notes', write, async (req, res) => {
    const id = idParam(req);
    const b = body(req);
    const issues: FieldIssue[] = [];
    const reason = typeof b.reason === 'string' ? b.reason.trim() : '';
    if (!reason) issues.push({ field: 'reason', message: 'is required: say why the invoice is corrected' });
    else if (reason.length > 300) issues.push({ field: 'reason', message: 'must be at most 300 characters' });
    if (b.lines !== undefined && !(Array.isArray(b.lines) && b.lines.length > 0 && b.lines.every((n) => Number.isInteger(n) && (n as number) >= 1))) {
      issues.push({ field: 'lines', message: 'must be a non-empty list of line positions (1 is the first line)' });
    }
    if (b.void !== undefined && typeof b.void !== 'boolean') issues.push({ field: 'void', message: 'must be true or false' });
    if (b.void === true && b.lines !== undefined) issues.push({ field: 'void', message: 'only a credit note for the whole invoice can void it' });
    failIf(issues);
    await deps.invoices.get(id); // 404 before anything is issued for a missing invoice
    const cn = await deps.billing.creditNote(id, { reason, by: actor(res), ...(b.lines !== undefined ? { lines: b.lines as number[] } : {}), ...(b.void === true ? { void: true } : {}) });
    deps.logger.info('credit note issued through the API', { invoiceId: id, creditNoteId: cn.creditNoteId, number: cn.number, by: actor(res) });
    res.status(201).location(`/api/v1/invoices/${cn.creditNoteId}`).json(invoiceJson(await deps.invoices.get(cn.creditNoteId)));
  });

  router.get('/billing-runs', read, async (req, res) => {
    const v = (req.query as Record<string, unknown>).limit;
    const ok = v === undefined || (typeof v === 'string' && /^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 200);
    failIf(ok ? [] : [{ field: 'limit', message: 'must be a whole number from 1 to 200' }]);
    const runs = await deps.billing.runs(v === undefined ? 50 : Number(v));
    res.json({ items: runs.map(runJson) });
  });

  router.post('/billing-runs', write, async (req, res) => {
    const b = body(req);
    const issues: FieldIssue[] = [];
    const period = typeof b.period === 'string' ? b.period.trim() : '';
    // dryRun has no default: a real run issues numbered invoices, so the caller says so explicitly.
    if (typeof b.dryRun !== 'boolean') issues.push({ field: 'dryRun', message: 'is required: true to preview, false to issue the invoices' });
    const due = await deps.billing.duePeriods();
    if (!due.includes(period)) issues.push({ field: 'period', message: due.length ? `must be one of the due periods: ${due.join(', ')}` : 'no period is due for billing now' });
    failIf(issues);
    const { runId } = await deps.billing.start(period, { dryRun: b.dryRun as boolean, by: actor(res) });
    deps.logger.info('billing run started through the API', { runId, periodKey: period, dryRun: b.dryRun, by: actor(res) });
    res.status(202).location(`/api/v1/billing-runs/${runId}`).json(runJson(await deps.billing.progress(runId)));
  });

  router.get('/billing-runs/:id', read, async (req, res) => {
    res.json(runJson(await deps.billing.progress(idParam(req))));
  });
}
