import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ejs from 'ejs';
import type { Transporter } from 'nodemailer';
import { UserError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { classifyMailError, compileMailTemplate, smtpTransport, type SmtpSettings } from '../invoicing/index.js';

export const DUNNING_VIEWS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views', 'dunning');

/** What a reminder says: finished values, nothing to compute in the template. */
export interface ReminderView {
  name: string;
  number: string;
  dueDate: string;
  amount: string;
  beforeDue: boolean;
  daysText: string;
  seller: string;
}

export interface ReminderSender {
  send(to: string, view: ReminderView): Promise<{ messageId: string }>;
}

/**
 * Payment reminders through the same SMTP settings (and the same error classification) as
 * invoice e-mails: a 4xx or unreachable server is temporary, a 5xx permanent.
 */
export class ReminderMailer implements ReminderSender {
  private readonly transport: Transporter;
  private readonly text: ejs.TemplateFunction;
  private readonly html: ejs.TemplateFunction;

  constructor(private readonly smtp: SmtpSettings, private readonly logger: Logger, views = DUNNING_VIEWS) {
    this.transport = smtpTransport(smtp);
    this.text = compileMailTemplate(views, 'reminder-text.ejs', 'text');
    this.html = compileMailTemplate(views, 'reminder-html.ejs', 'html');
  }

  async send(to: string, view: ReminderView): Promise<{ messageId: string }> {
    if (!to || /[\r\n]/.test(to)) throw new UserError('the account has no valid e-mail address', [{ field: 'email', message: 'missing or invalid' }]);
    const subject = view.beforeDue ? `Reminder: invoice ${view.number} is due on ${view.dueDate}` : `Payment reminder: invoice ${view.number} is overdue`;
    try {
      const info = await this.transport.sendMail({ from: this.smtp.from, to, subject, text: this.text(view), html: this.html(view) });
      this.logger.info('payment reminder sent', { invoice: view.number, messageId: info.messageId });
      return { messageId: info.messageId };
    } catch (err) {
      const failure = classifyMailError(err);
      this.logger.warn('payment reminder failed', { invoice: view.number, retryable: failure.retryable, responseCode: failure.responseCode });
      throw failure;
    }
  }

  close(): void {
    this.transport.close();
  }
}
