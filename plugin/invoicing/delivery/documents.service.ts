import { createHash } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.js';
import { ConflictError, NotFoundError, OperationalError, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Database } from '../../db/database.js';
import { buildInvoiceView } from '../document/invoice-view.js';
import type { InvoiceTemplate } from '../document/template.js';
import { TamperedInvoiceError, type InvoicesRepository } from '../invoices.repository.js';
import type { PdfJob, RenderedPdf } from '../pdf/renderer.js';
import { afterFailure, errorText, retryDelayMs, type RetryPolicy } from './backoff.js';
import type { DeliveryRepository, DocumentRow } from './delivery.repository.js';
import type { PdfStore } from './pdf-store.js';
import { pdfRelativePath, renderInputOf } from './render-input.js';

export interface StoredPdf {
  bytes: Buffer;
  sha256: string;
  /** The name to offer a download under: INV-000042.pdf. */
  filename: string;
}

export interface RunCounts {
  done: number;
  retrying: number;
  failed: number;
}

/** Called first in each transaction the job opens: the job proves its lease there. */
export type Fence = (t: Transaction) => Promise<void>;

export interface InvoiceDocumentsDeps {
  db: Pick<Database, 'transaction'>;
  repo: DeliveryRepository;
  invoices: Pick<InvoicesRepository, 'get' | 'snapshot'>;
  renderer: { render(job: PdfJob): Promise<RenderedPdf> };
  template: InvoiceTemplate;
  store: PdfStore;
  clock: Clock;
  logger: Logger;
  policy: RetryPolicy;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A failure that another attempt cannot fix: the document is gone or was altered outside Octet. */
function retryable(err: unknown): boolean {
  if (err instanceof TamperedInvoiceError || err instanceof UserError) return false;
  return err instanceof OperationalError ? err.retryable : true;
}

/**
 * The PDF of each issued invoice: rendered once from its snapshot, kept on disk, served from
 * there. The job renders pending ones; `pdf()` renders on demand through the same path. An
 * invoice re-rendered gives the same bytes (the renderer is deterministic), so a lost file is
 * simply rendered again and still matches the SHA-256 recorded.
 */
export class InvoiceDocumentsService {
  constructor(private readonly deps: InvoiceDocumentsDeps) {}

  /** Wants PDFs of these invoices; called in the issuing transaction. Idempotent. */
  async enqueue(invoiceIds: string[], t?: Transaction): Promise<void> {
    await this.deps.repo.enqueueDocuments(invoiceIds, this.deps.clock.now(), t);
  }

  async status(invoiceId: string): Promise<DocumentRow | null> {
    return this.deps.repo.document(invoiceId);
  }

  async statuses(invoiceIds: string[]): Promise<DocumentRow[]> {
    return this.deps.repo.documents(invoiceIds);
  }

  async failed(limit = 100): Promise<DocumentRow[]> {
    return this.deps.repo.failedDocuments(limit);
  }

  /** The stored PDF; rendered now if it is not yet (or its file went missing or changed). */
  async pdf(invoiceId: string): Promise<StoredPdf> {
    const { repo, logger } = this.deps;
    let row = await repo.document(invoiceId);
    if (!row) {
      await this.deps.invoices.get(invoiceId); // NotFoundError for an invoice that does not exist
      await this.enqueue([invoiceId]);
      row = (await repo.document(invoiceId))!;
    }
    if (row.status === 'rendered' && row.path && row.sha256) {
      const bytes = await this.deps.store.read(row.path);
      if (bytes && sha256(bytes) === row.sha256) return { bytes, sha256: row.sha256, filename: row.path.split('/').pop()! };
      logger.warn('invoice PDF missing or changed on disk: rendering it again', { invoiceId, path: row.path });
      const file = await this.renderAndStore(invoiceId);
      if (file.sha256 !== row.sha256) logger.error('invoice PDF rendered again has another SHA-256 than first recorded', { invoiceId, was: row.sha256, now: file.sha256 });
      await repo.markRendered(invoiceId, file, this.deps.clock.now());
      return { bytes: file.bytes, sha256: file.sha256, filename: file.path.split('/').pop()! };
    }
    // An attempt already counted and not yet due again is in flight (or waiting for its retry):
    // render here too, the same bytes, without counting a second attempt.
    const inFlight = row.status === 'pending' && row.attempts > 0 && row.nextAttemptAt.getTime() > this.deps.clock.now().getTime();
    const result: Attempt = inFlight ? { kind: 'busy' } : await this.attempt(row);
    if (result.kind === 'failed') throw new OperationalError(`the PDF of invoice ${invoiceId} could not be rendered: ${result.error}`, { retryable: true });
    if (result.kind === 'rendered') return { bytes: result.file.bytes, sha256: result.file.sha256, filename: result.file.path.split('/').pop()! };
    const file = await this.renderAndStore(invoiceId);
    // Recording the same rendering twice is harmless; it spares the job a render.
    await this.deps.repo.markRendered(invoiceId, file, this.deps.clock.now());
    return { bytes: file.bytes, sha256: file.sha256, filename: file.path.split('/').pop()! };
  }

  /** Renders the pending PDFs whose time has come (the job, under its lease). */
  async runDue(options: { limit?: number; fence?: Fence } = {}): Promise<RunCounts> {
    const counts: RunCounts = { done: 0, retrying: 0, failed: 0 };
    const due = await this.deps.repo.dueDocuments(this.deps.clock.now(), options.limit ?? 50);
    for (const row of due) {
      const result = await this.attempt(row, options.fence);
      if (result.kind === 'rendered') counts.done++;
      else if (result.kind === 'failed') counts[result.gaveUp ? 'failed' : 'retrying']++;
    }
    return counts;
  }

  /** A failed PDF goes back to the queue with fresh attempts (the retry button). */
  async retry(invoiceId: string): Promise<void> {
    const row = await this.deps.repo.document(invoiceId);
    if (!row) throw new NotFoundError(`invoice ${invoiceId} has no PDF to retry`);
    if (!(await this.deps.repo.retryDocument(invoiceId, this.deps.clock.now()))) throw new ConflictError(`the PDF of invoice ${invoiceId} is ${row.status}: only a failed one is retried`);
    this.deps.logger.info('invoice PDF queued again', { invoiceId });
  }

  /**
   * One attempt: counted first (with the next attempt's time, so a crash mid-render retries
   * later), then rendered and stored, then recorded. `busy`: another worker claimed it first.
   */
  private async attempt(row: DocumentRow, fence?: Fence): Promise<Attempt> {
    const { repo, clock, policy, logger } = this.deps;
    const attempts = row.attempts + 1;
    const claimed = await this.deps.db.transaction(async (t) => {
      await fence?.(t);
      return repo.claimDocument(row.invoiceId, row, new Date(clock.now().getTime() + retryDelayMs(attempts, policy)), clock.now(), t);
    });
    if (!claimed) return { kind: 'busy' };
    try {
      const file = await this.renderAndStore(row.invoiceId);
      await repo.markRendered(row.invoiceId, file, clock.now());
      logger.info('invoice PDF rendered', { invoiceId: row.invoiceId, path: file.path, bytes: file.byteSize, sha256: file.sha256 });
      return { kind: 'rendered', file };
    } catch (err) {
      const outcome = afterFailure(attempts, clock.now().getTime(), policy, retryable(err));
      const error = errorText(err);
      await repo.markDocumentFailure(row.invoiceId, { status: outcome.status, nextAttemptAt: new Date(outcome.status === 'pending' ? outcome.nextAttemptAtMs : clock.now().getTime()), error }, clock.now());
      logger[outcome.status === 'failed' ? 'error' : 'warn']('invoice PDF render failed', { invoiceId: row.invoiceId, attempts, gaveUp: outcome.status === 'failed', error });
      return { kind: 'failed', error, gaveUp: outcome.status === 'failed' };
    }
  }

  private async renderAndStore(invoiceId: string): Promise<RenderedFile & { bytes: Buffer }> {
    const [snapshot, record] = [await this.deps.invoices.snapshot(invoiceId), await this.deps.invoices.get(invoiceId)];
    const view = buildInvoiceView(renderInputOf(snapshot));
    const pdf = await this.deps.renderer.render({ html: this.deps.template(view), issuedAt: new Date(view.issuedAtIso) });
    const path = pdfRelativePath(record.issueDate ?? view.issuedAtIso.slice(0, 10), snapshot.number);
    await this.deps.store.write(path, pdf.bytes);
    return { sha256: pdf.sha256, byteSize: pdf.bytes.length, path, bytes: pdf.bytes };
  }
}

interface RenderedFile {
  sha256: string;
  byteSize: number;
  path: string;
}

type Attempt = { kind: 'rendered'; file: RenderedFile & { bytes: Buffer } } | { kind: 'failed'; error: string; gaveUp: boolean } | { kind: 'busy' };
