import type { RequestHandler, Response, Router } from 'express';
import multer from 'multer';
import { currentUser, requireRole } from '../../web/guards.js';
import type { ImportReport } from '../import/import.service.js';
import type { StagedImportService } from '../import/staged-import.service.js';
import { CSV_COLUMNS, REQUIRED_COLUMNS } from '../import/csv.js';
import { actorOf } from './forms.js';

export const IMPORT_PATH = '/import/accounts';
export const PREVIEW_PATH = '/import/accounts/preview';
/** Larger than any subscriber list we expect (10,000 rows is about 1.5 MB). */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
/** How many change lines the preview lists; the counts always cover the whole file. */
const SHOW_CHANGES = 500;

/**
 * The upload's parser (multipart, which the app's body parser does not read). The app runs it
 * only for a logged-in user and checks CSRF on the fields it leaves in req.body (see
 * WebContribution.uploads). A file over the limit is reported on the upload page, not as an error.
 */
export function importUploadParser(): RequestHandler {
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 12 } }).single('file');
  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (err) {
        const code = (err as { code?: string }).code;
        res.locals.uploadError =
          code === 'LIMIT_FILE_SIZE' ? `The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.` : `The upload could not be read (${(err as Error).message}).`;
      }
      next();
    });
  };
}

function renderUpload(res: Response, error: string | null, status = 200): void {
  res.status(status).render('import/upload', { title: 'Import accounts', error, columns: CSV_COLUMNS, required: REQUIRED_COLUMNS, maxMb: MAX_UPLOAD_BYTES / 1024 / 1024 });
}

function reportView(report: ImportReport, filename: string) {
  return {
    filename,
    rows: report.rows,
    delimiter: report.delimiter === ';' ? 'semicolon' : 'comma',
    counts: report.counts,
    errors: report.errors.map((e) => ({ line: e.line, column: e.column ?? '', message: e.message })),
    changes: report.changes.slice(0, SHOW_CHANGES),
    moreChanges: Math.max(0, report.changes.length - SHOW_CHANGES),
    nothingToDo: report.changes.length === 0,
  };
}

export function importPages(router: Router, deps: { staged: StagedImportService }): void {
  const billing = requireRole('billing');

  router.get(IMPORT_PATH, billing, (_req, res) => renderUpload(res, null));

  // Step 1: upload, then show what would change (a dry run) with the errors, line by line.
  router.post(PREVIEW_PATH, billing, async (req, res) => {
    if (res.locals.uploadError) return renderUpload(res, res.locals.uploadError as string, 413);
    const file = req.file;
    if (!file || file.size === 0) return renderUpload(res, 'Choose a CSV file to upload.', 422);
    const { report, token } = await deps.staged.preview({ userId: currentUser(res).id, actor: actorOf(res), filename: file.originalname, content: file.buffer });
    res.status(report.errors.length ? 422 : 200).render('import/preview', { title: 'Import preview', report: reportView(report, file.originalname), token, applied: false });
  });

  // Step 2: the same file again, for real (re-planned in the transaction that writes it).
  router.post('/import/accounts/confirm', billing, async (req, res) => {
    const token = typeof (req.body as Record<string, unknown>)?.token === 'string' ? String((req.body as Record<string, unknown>).token) : '';
    const done = await deps.staged.confirm({ token, userId: currentUser(res).id, actor: actorOf(res) });
    if (!done) return renderUpload(res, 'That upload is gone (confirmed already, or older than a day). Upload the file again.', 410);
    const { report, filename } = done;
    res.status(report.applied ? 200 : 422).render('import/preview', {
      title: report.applied ? 'Import done' : 'Import refused',
      report: reportView(report, filename),
      token: null,
      applied: report.applied,
    });
  });
}
