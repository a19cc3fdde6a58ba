import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response, Router } from 'express';
import multer from 'multer';
import { UserError, ValidationError } from '../../../common/errors.js';
import { formatMinor } from '../../../common/money.js';
import { currentUser, requireRole } from '../../../web/guards.js';
import { DATE_FORMATS } from '../csv-statement.js';
import type { ImportReport, PreviewLine, StatementImportService, StatementKind } from '../statement-import.service.js';
import type { StatementsRepository, UnmatchedLine } from '../statements.repository.js';

export const STATEMENTS_PATH = '/statements';
export const STATEMENT_PREVIEW_PATH = '/statements/preview';
/** A month of a busy account's camt.053 is a few MB; staged uploads must stay under MySQL's 16 MB packet. */
const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;

/** The multipart parser of the upload (the app runs it after the login check, then checks CSRF). */
export function statementUploadParser(): RequestHandler {
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 12 } }).single('file');
  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (err) {
        const code = (err as { code?: string }).code;
        res.locals.uploadError = code === 'LIMIT_FILE_SIZE' ? `The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.` : `The upload could not be read (${(err as Error).message}).`;
      }
      next();
    });
  };
}

const actorOf = (res: Response) => `user:${currentUser(res).id}`;
const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
};

function lineView(p: PreviewLine) {
  const l = p.line;
  return {
    externalId: l.externalId,
    date: l.bookingDate,
    amount: `${formatMinor(l.amountMinor, l.currency)} ${l.currency}`,
    payer: l.payer ?? '',
    remittance: [l.remittance, ...l.references].filter(Boolean).join(' · '),
    match: p.queued ? 'waiting in the unmatched queue already' : p.match.accountId === null ? `unmatched: ${p.match.reason}` : `account ${p.match.accountId} (${p.match.via})${p.match.invoiceId ? ', allocated to that invoice' : ''}`,
    matched: p.match.accountId !== null && !p.queued,
  };
}

function unmatchedView(u: UnmatchedLine) {
  return {
    id: u.id,
    source: u.source,
    externalId: u.externalId,
    date: u.bookingDate,
    amount: `${formatMinor(u.amountMinor, u.currency)} ${u.currency}`,
    payer: u.payer ?? '',
    remittance: u.remittance,
    reason: u.reason,
    status: u.status,
    resolution: u.resolution ?? '',
    resolvedBy: u.resolvedBy ?? '',
  };
}

export function statementPages(router: Router, deps: { service: StatementImportService; repo: StatementsRepository }): void {
  const billing = requireRole('billing');
  const readonly = requireRole('readonly');
  const { service, repo } = deps;

  const renderUpload = async (res: Response, error: string | null, status = 200) => {
    const mappings = (await repo.mappings()).map((m) => ({ bank: m.bank, text: JSON.stringify(m.mapping) }));
    res.status(status).render('statements/upload', { title: 'Bank statements', error, mappings, dateFormats: DATE_FORMATS, maxMb: MAX_UPLOAD_BYTES / 1024 / 1024, open: (await repo.list('open', 1000)).length });
  };

  router.get(STATEMENTS_PATH, billing, (_req, res) => renderUpload(res, null));

  router.post('/statements/mappings', billing, async (req, res) => {
    const b = req.body as Record<string, unknown>;
    const optional = (name: string) => field(b, name) || undefined;
    try {
      await service.saveMapping(
        {
          bank: field(b, 'bank'), delimiter: field(b, 'delimiter') === 'tab' ? '\t' : field(b, 'delimiter') || undefined, decimalSeparator: optional('decimalSeparator'), dateFormat: optional('dateFormat'),
          date: field(b, 'date'), amount: field(b, 'amount'), currency: optional('currency'), defaultCurrency: optional('defaultCurrency'), reference: field(b, 'reference'), payer: optional('payer'), transactionId: field(b, 'transactionId'),
        },
        actorOf(res),
      );
    } catch (err) {
      if (err instanceof ValidationError) return renderUpload(res, err.message, 422);
      throw err;
    }
    res.redirect(303, STATEMENTS_PATH);
  });

  // Step 1: read the whole file (a malformed one is refused here, nothing staged) and show what
  // each credit would become.
  router.post(STATEMENT_PREVIEW_PATH, billing, async (req, res) => {
    if (res.locals.uploadError) return renderUpload(res, res.locals.uploadError as string, 413);
    const file = req.file;
    if (!file || file.size === 0) return renderUpload(res, 'Choose a statement file to upload.', 422);
    const kind: StatementKind = field(req.body, 'kind') === 'csv' ? 'csv' : 'camt053';
    const bank = field(req.body, 'bank') || null;
    const content = file.buffer.toString('utf8');
    try {
      const statements = await service.read(kind, content, bank);
      const lines = await service.preview(statements);
      const token = randomBytes(32).toString('hex');
      await repo.stage({ token, userId: currentUser(res).id, kind, bank, filename: file.originalname.slice(0, 255), content });
      res.render('statements/preview', {
        title: 'Statement preview', filename: file.originalname, token,
        statements: statements.map((s) => ({ source: s.source, statementId: s.statementId ?? '' })),
        lines: lines.map(lineView), skipped: statements.flatMap((s) => s.skipped),
        matched: lines.filter((l) => l.match.accountId !== null && !l.queued).length,
      });
    } catch (err) {
      if (err instanceof UserError) return renderUpload(res, err.message, 422);
      throw err;
    }
  });

  // Step 2: the staged file, read again and imported (matched lines recorded, the rest queued).
  router.post('/statements/confirm', billing, async (req, res) => {
    const staged = await repo.take(field(req.body, 'token'), currentUser(res).id);
    if (!staged) return renderUpload(res, 'That upload is gone (imported already, or older than a day). Upload the file again.', 410);
    const report: ImportReport = await service.import(await service.read(staged.kind, staged.content, staged.bank), actorOf(res));
    res.render('statements/done', { title: 'Statement imported', filename: staged.filename, report: { ...report, skipped: report.skipped.length } });
  });

  router.get('/statements/unmatched', readonly, async (req, res) => {
    const status = field(req.query, 'status');
    const shown = status === 'assigned' || status === 'dismissed' ? status : 'open';
    res.render('statements/unmatched', { title: 'Unmatched statement lines', status: shown, lines: (await repo.list(shown)).map(unmatchedView), canAct: currentUser(res).role !== 'readonly', error: null });
  });

  router.post('/statements/unmatched/:id/assign', billing, async (req, res) => {
    const account = field(req.body, 'accountId');
    const invoiceNumber = field(req.body, 'invoiceNumber');
    if (account && !/^\d{1,15}$/.test(account)) throw new ValidationError('the account id is a number', [{ field: 'accountId', message: 'must be a number' }]);
    await service.assign(String(req.params.id), { ...(account ? { accountId: Number(account) } : {}), ...(invoiceNumber ? { invoiceNumber } : {}) }, actorOf(res));
    res.redirect(303, '/statements/unmatched');
  });

  router.post('/statements/unmatched/:id/dismiss', billing, async (req, res) => {
    await service.dismiss(String(req.params.id), field(req.body, 'reason'), actorOf(res));
    res.redirect(303, '/statements/unmatched');
  });
}
