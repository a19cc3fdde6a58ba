import type { Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.js';
import { ConflictError, ValidationError, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Database } from '../../db/database.js';
import { buildInvoiceView, type InvoiceView } from '../document/invoice-view.js';
import type { InvoicesRepository } from '../invoices.repository.js';
import { MailPermanentError, type SentMail } from '../mail/invoice-mailer.js';
import { afterFailure, errorText, retryDelayMs, type RetryPolicy } from './backoff.js';
import type { DeliveryRepository, DeliveryRow } from './delivery.repository.js';
import type { Fence, InvoiceDocumentsService, RunCounts } from './documents.service.js';
import { renderInputOf } from './render-input.js';

export interface InvoiceMailServiceDeps {
  db: Pick<Database, 'transaction'>;
  repo: DeliveryRepository;
  documents: Pick<InvoiceDocumentsService, 'enqueue' | 'pdf'>;
  invoices: Pick<InvoicesRepository, 'get' | 'snapshot' | 'move'>;
  /** null: no SMTP host configured, e-mail is off. */
  mailer: { sendInvoice(to: string, view: InvoiceView, pdf: Buffer): Promise<SentMail> } | null;
  clock: Clock;
  logger: Logger;
  policy: RetryPolicy;
}

// One address, as a person types it; no display names, no lists, no line breaks.
const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/**
 * Invoice e-mails: each is a row (invoice_deliveries) queued at issue or by "resend", sent by the
 * job once the PDF is rendered, with the PDF attached. A temporary failure (4xx, server away) is
 * retried with backoff; a permanent one (5xx, bad credentials) is failed with the server's
 * answer. On success the invoice moves issued -> sent.
 *
 * Never lost, at worst twice: an attempt is counted (and its retry time set) before the message
 * goes out, and recorded after the server accepted it. A crash between the two leaves the row
 * pending, so it is sent again after the backoff: the customer may get it twice, never not at all.
 */
export class InvoiceMailService {
  constructor(private readonly deps: InvoiceMailServiceDeps) {}

  get enabled(): boolean {
    return this.deps.mailer !== null;
  }

  /** Queues an e-mail of the invoice to `to` (and its PDF, if not yet wanted). Returns the delivery's id. */
  async enqueue(invoiceId: string, to: string, t?: Transaction, createdBy = 'system'): Promise<string> {
    const address = typeof to === 'string' ? to.trim() : '';
    if (!ADDRESS.test(address) || address.length > 320) throw new ValidationError('the invoice e-mail needs one valid address', [{ field: 'to', message: 'an e-mail address like billing@customer.example' }]);
    if (!this.deps.mailer) throw new ConflictError('e-mail is off: set smtp.host in the config file to send invoices');
    await this.deps.invoices.get(invoiceId, t);
    await this.deps.documents.enqueue([invoiceId], t);
    const id = await this.deps.repo.insertDelivery({ invoiceId, to: address, createdBy }, this.deps.clock.now(), t);
    this.deps.logger.info('invoice e-mail queued', { invoiceId, deliveryId: id, by: createdBy });
    return id;
  }

  /** Every e-mail of the invoice, newest first, with its attempts and outcome (the invoice page). */
  async history(invoiceId: string): Promise<DeliveryRow[]> {
    return this.deps.repo.history(invoiceId);
  }

  async failed(limit = 100): Promise<DeliveryRow[]> {
    return this.deps.repo.failedDeliveries(limit);
  }

  /** A failed e-mail queued again, as a new delivery to the same address. */
  async retry(deliveryId: string, createdBy: string): Promise<string> {
    const d = await this.deps.repo.delivery(deliveryId);
    if (!d) throw new ValidationError(`no e-mail with id ${deliveryId}`, [{ field: 'deliveryId', message: 'no such e-mail' }]);
    if (d.status !== 'failed') throw new ConflictError(`that e-mail is ${d.status}: only a failed one is sent again`);
    return this.enqueue(d.invoiceId, d.to, undefined, createdBy);
  }

  /** Sends the e-mails whose time has come and whose PDF is ready (the job, under its lease). */
  async runDue(options: { limit?: number; fence?: Fence } = {}): Promise<RunCounts> {
    const counts: RunCounts = { done: 0, retrying: 0, failed: 0 };
    if (!this.deps.mailer) return counts;
    const due = await this.deps.repo.dueDeliveries(this.deps.clock.now(), options.limit ?? 50);
    for (const d of due) {
      const outcome = await this.attempt(d, options.fence);
      if (outcome) counts[outcome]++;
    }
    return counts;
  }

  private async attempt(d: DeliveryRow, fence?: Fence): Promise<keyof RunCounts | null> {
    const { repo, clock, policy, logger, invoices } = this.deps;
    const mailer = this.deps.mailer!;
    const attempts = d.attempts + 1;
    const claimed = await this.deps.db.transaction(async (t) => {
      await fence?.(t);
      return repo.claimDelivery(d, new Date(clock.now().getTime() + retryDelayMs(attempts, policy)), clock.now(), t);
    });
    if (!claimed) return null;
    let sent: SentMail;
    try {
      const pdf = await this.deps.documents.pdf(d.invoiceId);
      const view = buildInvoiceView(renderInputOf(await invoices.snapshot(d.invoiceId)));
      sent = await mailer.sendInvoice(d.to, view, pdf.bytes);
    } catch (err) {
      const permanent = err instanceof MailPermanentError || err instanceof UserError;
      const outcome = afterFailure(attempts, clock.now().getTime(), policy, !permanent);
      const error = errorText(err);
      await repo.markDeliveryFailure(d.id, { status: outcome.status, nextAttemptAt: new Date(outcome.status === 'pending' ? outcome.nextAttemptAtMs : clock.now().getTime()), error }, clock.now());
      logger[outcome.status === 'failed' ? 'error' : 'warn']('invoice e-mail not sent', { invoiceId: d.invoiceId, deliveryId: d.id, attempts, gaveUp: outcome.status === 'failed', error });
      return outcome.status === 'failed' ? 'failed' : 'retrying';
    }
    // Recorded whatever the lease says now: the server has the message, and that is a fact.
    await repo.markSent(d.id, sent.messageId, clock.now());
    try {
      const invoice = await invoices.get(d.invoiceId);
      if (invoice.status === 'issued') await invoices.move(d.invoiceId, 'sent', { at: clock.now() });
    } catch (err) {
      // Paid or voided meanwhile: the e-mail went, the status stays what it became.
      logger.warn('invoice e-mail sent, but the invoice could not be marked sent', { invoiceId: d.invoiceId, error: errorText(err) });
    }
    return 'done';
  }
}
