import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { StaffUser } from '../../../auth/index.js';
import { NotFoundError, ValidationError } from '../../../common/errors.js';
import { requireRole } from '../../../web/guards.js';
import type { InvoicesRepository } from '../../invoices.repository.js';
import type { InvoiceDocumentsService } from '../documents.service.js';
import { INVOICE_COLUMNS, invoiceCells, LINE_COLUMNS, lineCells } from '../export-rows.js';
import type { ExportFilter, ExportRepository } from '../export.repository.js';
import type { InvoiceMailService } from '../mail.service.js';
import { fieldIssues } from '../../profile.js';
import { streamCsv } from './csv-stream.js';

export interface DeliveryPagesDeps {
  documents: InvoiceDocumentsService;
  mail: InvoiceMailService;
  exports: ExportRepository;
  invoices: Pick<InvoicesRepository, 'byIds'>;
}

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-03-31').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'a real date');
const exportQuery = z
  .strictObject({
    from: DATE.optional(),
    to: DATE.optional(),
    type: z.enum(['invoice', 'credit_note']).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be before from', path: ['to'] });

/** ?from=&to=&type= (issue dates, inclusive); empty values count as absent. */
export function exportFilterOf(query: Record<string, unknown>): ExportFilter {
  const given = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
  const parsed = exportQuery.safeParse(given);
  if (!parsed.success) throw new ValidationError(`the export's filter is wrong: ${fieldIssues(parsed.error).map((i) => `${i.field} ${i.message}`).join('; ')}`, fieldIssues(parsed.error));
  return parsed.data;
}

export function invoiceIdOf(req: Request): string {
  const v = req.params.id;
  if (typeof v === 'string' && /^[1-9]\d{0,17}$/.test(v)) return v;
  throw new NotFoundError('There is no such invoice.');
}

/** Where a retry button sends the browser back to: a path on this site only. */
function backTo(req: Request, fallback: string): string {
  const b = (req.body as Record<string, unknown> | undefined)?.back;
  return typeof b === 'string' && b.startsWith('/') && !b.startsWith('//') && !b.includes('\\') ? b : fallback;
}

const actor = (res: Response) => `user:${(res.locals.user as StaffUser).id}`;

const fileSuffix = (f: ExportFilter) => [f.type ?? 'all', f.from ?? 'start', f.to ?? 'now'].join('_');

/**
 * Mount these before the invoice pages' `/invoices/:id` routes, so `/invoices/export.csv` is
 * never read as an invoice id.
 */
export function deliveryPages(router: Router, deps: DeliveryPagesDeps): void {
  const billing = requireRole('billing');

  // The accountant's exports: any staff role may read them (readonly included).
  router.get('/invoices/export.csv', async (req, res) => {
    const filter = exportFilterOf(req.query as Record<string, unknown>);
    await streamCsv(res, `invoices_${fileSuffix(filter)}.csv`, INVOICE_COLUMNS, map(deps.exports.invoices(filter), invoiceCells));
  });

  router.get('/invoices/lines.csv', async (req, res) => {
    const filter = exportFilterOf(req.query as Record<string, unknown>);
    await streamCsv(res, `invoice_lines_${fileSuffix(filter)}.csv`, LINE_COLUMNS, map(deps.exports.lines(filter), lineCells));
  });

  router.get('/invoices/:id/pdf', async (req, res) => {
    const pdf = await deps.documents.pdf(invoiceIdOf(req));
    sendPdf(res, pdf);
  });

  router.post('/invoices/:id/pdf/retry', billing, async (req, res) => {
    await deps.documents.retry(invoiceIdOf(req));
    res.redirect(303, backTo(req, '/delivery'));
  });

  router.post('/delivery/emails/:deliveryId/retry', billing, async (req, res) => {
    const id = req.params.deliveryId;
    if (typeof id !== 'string' || !/^[1-9]\d{0,17}$/.test(id)) throw new NotFoundError('There is no such e-mail.');
    await deps.mail.retry(id, actor(res));
    res.redirect(303, backTo(req, '/delivery'));
  });

  // What did not go out: PDFs and e-mails given up on, with the reason and a retry button.
  router.get('/delivery', async (_req, res) => {
    const [docs, mails] = await Promise.all([deps.documents.failed(200), deps.mail.failed(200)]);
    const ids = [...new Set([...docs.map((d) => d.invoiceId), ...mails.map((m) => m.invoiceId)])];
    const numbers = new Map((await deps.invoices.byIds(ids)).map((i) => [i.id, i.number ?? `#${i.id}`]));
    res.render('settings/delivery', {
      title: 'Invoice delivery',
      canWrite: (res.locals.user as StaffUser).role !== 'readonly',
      emailEnabled: deps.mail.enabled,
      documents: docs.map((d) => ({ invoiceId: d.invoiceId, number: numbers.get(d.invoiceId) ?? d.invoiceId, attempts: d.attempts, error: d.lastError ?? '' })),
      mails: mails.map((m) => ({ id: m.id, invoiceId: m.invoiceId, number: numbers.get(m.invoiceId) ?? m.invoiceId, to: m.to, attempts: m.attempts, error: m.lastError ?? '' })),
    });
  });
}

export function sendPdf(res: Response, pdf: { bytes: Buffer; sha256: string; filename: string }): void {
  res.status(200);
  res.set('Content-Type', 'application/pdf');
  res.set('Content-Disposition', `inline; filename="${pdf.filename}"`);
  res.set('ETag', `"${pdf.sha256}"`);
  res.end(pdf.bytes);
}

async function* map<T>(rows: AsyncIterable<T>, f: (r: T) => string[]): AsyncGenerator<string[]> {
  for await (const r of rows) yield f(r);
}
