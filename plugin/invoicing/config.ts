import { z } from 'zod';
import type { PdfRendererOptions } from './pdf/renderer.js';
import type { SmtpSettings } from './mail/invoice-mailer.js';

/** The `pdf` section of the plugin's config file (plugin/config.ts): the invoice renderer. */
export const pdfConfigSchema = z
  .strictObject({
    /** Debian's Chromium, launched by puppeteer-core (which never downloads a browser). */
    chromium: z.string().min(1).default('/usr/bin/chromium'),
    /** Pages kept open and reused (one render at a time each), spread over the browsers. */
    poolSize: z.number().int().min(1).max(32).default(4),
    /**
     * Single-process Chromiums the pages are spread over: each runs all its pages on one thread, so
     * one per core. More than poolSize are never launched (each browser needs a page).
     */
    browsers: z.number().int().min(1).max(32).default(2),
    /** Renders allowed to wait for a page; more are refused (and retried by the job). */
    queueLimit: z.number().int().min(0).max(100_000).default(256),
    timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
    /** Where rendered invoice PDFs are kept (YYYY/MM/<number>.pdf); relative to the working directory. */
    storeDir: z.string().min(1).default('var/invoices'),
    /** Renders of one invoice before it is left failed (staff can retry it). */
    maxAttempts: z.number().int().min(1).max(100).default(5),
    /** The first retry waits this long; each next one twice as long, at most 6 hours. */
    retryBaseSeconds: z.number().int().min(1).max(86_400).default(60),
  })
  .prefault({});

/**
 * The `smtp` section: where invoice e-mails go. Put the password in the environment
 * (`pass: ${SMTP_PASSWORD}`); it is never logged. Absent host: e-mail is off.
 */
export const smtpConfigSchema = z
  .strictObject({
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).default(587),
    /** true: TLS from the start (port 465); false: STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless STARTTLS succeeds (on a non-secure port). */
    requireTls: z.boolean().default(true),
    user: z.string().min(1).optional(),
    pass: z.string().min(1).optional(),
    from: z.string().min(3).default('billing@localhost'),
    timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
    /** Attempts of one e-mail on temporary failures (4xx, unreachable) before it is left failed. */
    maxAttempts: z.number().int().min(1).max(100).default(8),
    /** The first retry waits this long; each next one twice as long, at most 6 hours. */
    retryBaseSeconds: z.number().int().min(1).max(86_400).default(60),
  })
  .refine((s) => (s.user === undefined) === (s.pass === undefined), { message: 'user and pass go together', path: ['pass'] })
  .prefault({});

export type PdfConfig = z.output<typeof pdfConfigSchema>;
export type SmtpConfig = z.output<typeof smtpConfigSchema>;

export function pdfRendererOptions(c: PdfConfig): Omit<PdfRendererOptions, 'logger'> {
  return { executablePath: c.chromium, poolSize: c.poolSize, browsers: c.browsers, queueLimit: c.queueLimit, timeoutMs: c.timeoutMs };
}

/** null when no SMTP host is configured. */
export function smtpSettings(c: SmtpConfig): SmtpSettings | null {
  if (!c.host) return null;
  return { host: c.host, port: c.port, secure: c.secure, requireTls: c.requireTls, auth: c.user && c.pass ? { user: c.user, pass: c.pass } : null, from: c.from, timeoutMs: c.timeoutMs };
}
