import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import nodemailer, { type Transporter } from 'nodemailer';
import { OperationalError, UserError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { InvoiceView } from '../document/invoice-view.js';
import { INVOICE_VIEWS } from '../document/template.js';

export interface SmtpSettings {
  host: string;
  port: number;
  /** true: TLS from the first byte (465); false: plain, upgraded by STARTTLS when the server offers it (587/25). */
  secure: boolean;
  /** Refuse to send without STARTTLS on a non-secure port. */
  requireTls: boolean;
  /** Credentials, already resolved from environment variables by the config loader; never logged. */
  auth: { user: string; pass: string } | null;
  from: string;
  timeoutMs: number;
  /** Test servers with self-signed certificates only. */
  rejectUnauthorized?: boolean;
}

/** A failure worth retrying later: the server was unreachable, or answered 4xx (try again). */
export class MailTemporaryError extends OperationalError {
  constructor(message: string, readonly responseCode: number | null, options?: { cause?: unknown }) {
    super(message, { ...options, retryable: true });
  }
}

/** A failure that retrying will not fix: 5xx (recipient rejected, message refused), or bad credentials. */
export class MailPermanentError extends OperationalError {
  constructor(message: string, readonly responseCode: number | null, options?: { cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

export interface SentMail {
  messageId: string;
  accepted: string[];
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Sorts nodemailer's errors by who must act: 4xx and network trouble are retried, 5xx is not. */
export function classifyMailError(err: unknown): MailTemporaryError | MailPermanentError {
  const e = (err ?? {}) as SmtpFailure;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  // The server's reply text may quote the address; the credentials are never part of it.
  const text = `SMTP: ${e.response ?? e.message ?? String(err)}`;
  if (code !== null && code >= 500) return new MailPermanentError(text, code, { cause: err });
  if (code !== null && code >= 400) return new MailTemporaryError(text, code, { cause: err });
  if (e.code === 'EAUTH') return new MailPermanentError(text, code, { cause: err });
  return new MailTemporaryError(text, code, { cause: err });
}

/** The SMTP transport every Octet e-mail goes through (invoices, dunning reminders). */
export function smtpTransport(smtp: SmtpSettings): Transporter {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTls,
    auth: smtp.auth ?? undefined,
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    tls: smtp.rejectUnauthorized === false ? { rejectUnauthorized: false } : undefined,
    logger: false,
  });
}

/** An e-mail template (locals as `v`); a text part is not HTML, so EJS's escaping (&amp;) stays out of it. */
export function compileMailTemplate(views: string, name: string, part: 'text' | 'html'): ejs.TemplateFunction {
  const file = join(views, name);
  return ejs.compile(readFileSync(file, 'utf8'), { filename: file, localsName: 'v', strict: true, _with: false, ...(part === 'text' ? { escape: (x: unknown) => String(x) } : {}) });
}

export class InvoiceMailer {
  private readonly transport: Transporter;
  private readonly text: ejs.TemplateFunction;
  private readonly html: ejs.TemplateFunction;

  constructor(private readonly smtp: SmtpSettings, private readonly logger: Logger, views = INVOICE_VIEWS) {
    this.transport = smtpTransport(smtp);
    this.text = compileMailTemplate(views, 'email-text.ejs', 'text');
    this.html = compileMailTemplate(views, 'email-html.ejs', 'html');
  }

  async sendInvoice(to: string, view: InvoiceView, pdf: Buffer): Promise<SentMail> {
    if (!to || /[\r\n]/.test(to)) throw new UserError('the invoice has no valid e-mail address', [{ field: 'email', message: 'missing or invalid' }]);
    const subject = `${view.title} ${view.number} from ${view.seller.name}`;
    try {
      const info = await this.transport.sendMail({
        from: this.smtp.from,
        to,
        subject,
        text: this.text(view),
        html: this.html(view),
        attachments: [{ filename: `${view.number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`, content: pdf, contentType: 'application/pdf' }],
      });
      this.logger.info('invoice e-mail sent', { invoice: view.number, messageId: info.messageId });
      return { messageId: info.messageId, accepted: (info.accepted as Array<string | { address: string }>).map((a) => (typeof a === 'string' ? a : a.address)) };
    } catch (err) {
      const failure = classifyMailError(err);
      this.logger.warn('invoice e-mail failed', { invoice: view.number, retryable: failure.retryable, responseCode: failure.responseCode });
      throw failure;
    }
  }

  close(): void {
    this.transport.close();
  }
}
