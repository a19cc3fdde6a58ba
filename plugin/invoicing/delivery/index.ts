import type { Router } from 'express';
import type { PluginContext } from '../../context.js';
import { LeaseRepository } from '../../jobs/index.js';
import type { NavItem } from '../../web/nav.js';
import { pdfRendererOptions, smtpSettings } from '../config.js';
import { loadInvoiceTemplate } from '../document/template.js';
import type { InvoicesRepository } from '../invoices.repository.js';
import { InvoiceMailer } from '../mail/invoice-mailer.js';
import { PdfRenderer } from '../pdf/renderer.js';
import { InvoiceProfileService } from '../profile.js';
import { deliveryApi } from './api.js';
import { DeliveryRepository } from './delivery.repository.js';
import { InvoiceDocumentsService } from './documents.service.js';
import { ExportRepository } from './export.repository.js';
import { DeliveryJob, type DeliveryRun } from './job.js';
import { InvoiceMailService } from './mail.service.js';
import { PdfStore } from './pdf-store.js';
import { deliveryPages } from './web/pages.js';
import { PROFILE_PATH, profilePage, profileUploadParser } from './web/profile-page.js';

/**
 * Invoice delivery: the invoice profile (seller and branding, frozen into each issued
 * invoice), the PDF of each issued invoice (a job, stored on disk), its e-mails (a job, retried),
 * and the accountant's CSV export. Built once by the invoicing module on the context.
 */
export interface Delivery {
  profile: InvoiceProfileService;
  documents: InvoiceDocumentsService;
  mail: InvoiceMailService;
  job: { start(): void; stop(): Promise<void>; runOnce(): Promise<DeliveryRun> };
  /** Admin pages: mount before the invoice pages' /invoices/:id routes. */
  pages(router: Router): void;
  api(router: Router): void;
  /** The profile page's logo upload (multipart): goes into the module's WebContribution.uploads. */
  uploads: Array<{ path: string; parse: ReturnType<typeof profileUploadParser> }>;
  nav: NavItem[];
}

export interface DeliveryDeps {
  invoices: InvoicesRepository;
  /** The process's one renderer (shared with the billing run's previews); made from `pdf` config when absent, and closed by job.stop(). */
  renderer?: Pick<PdfRenderer, 'render'>;
  /** Made from the `smtp` config when absent; null config host: e-mail is off. */
  mailer?: Pick<InvoiceMailer, 'sendInvoice'>;
  /** Tests: how often the job runs (default 15 s). */
  jobIntervalMs?: number;
}

export function buildDelivery(ctx: PluginContext, deps: DeliveryDeps): Delivery {
  const { config, logger, clock, db } = ctx;
  const ownRenderer = deps.renderer ? null : new PdfRenderer({ ...pdfRendererOptions(config.pdf), logger });
  const renderer = deps.renderer ?? ownRenderer!;
  const smtp = smtpSettings(config.smtp);
  const ownMailer = deps.mailer || !smtp ? null : new InvoiceMailer(smtp, logger);
  const mailer = deps.mailer ?? ownMailer;
  const repo = new DeliveryRepository(db);
  const profile = new InvoiceProfileService({ settings: ctx.repos.settings, logger });
  const documents = new InvoiceDocumentsService({
    db,
    repo,
    invoices: deps.invoices,
    renderer,
    template: loadInvoiceTemplate(),
    store: new PdfStore(config.pdf.storeDir),
    clock,
    logger,
    policy: { maxAttempts: config.pdf.maxAttempts, baseMs: config.pdf.retryBaseSeconds * 1000 },
  });
  const mail = new InvoiceMailService({
    db,
    repo,
    documents,
    invoices: deps.invoices,
    mailer,
    clock,
    logger,
    policy: { maxAttempts: config.smtp.maxAttempts, baseMs: config.smtp.retryBaseSeconds * 1000 },
  });
  const job = new DeliveryJob({ leases: new LeaseRepository(db), documents, mail, logger, intervalMs: deps.jobIntervalMs });
  const exports = new ExportRepository(db);
  return {
    profile,
    documents,
    mail,
    job: {
      start: () => job.start(),
      stop: async () => {
        await job.stop();
        // Only what this builder made is closed here; a renderer or mailer passed in belongs to the caller.
        await ownRenderer?.close();
        ownMailer?.close();
      },
      runOnce: () => job.runOnce(),
    },
    pages: (router) => {
      deliveryPages(router, { documents, mail, exports, invoices: deps.invoices });
      profilePage(router, { profile });
    },
    api: (router) => deliveryApi(router, { documents }),
    uploads: [{ path: PROFILE_PATH, parse: profileUploadParser() }],
    nav: [
      { href: '/delivery', label: 'Delivery', role: 'readonly', order: 420 },
      { href: PROFILE_PATH, label: 'Invoice profile', role: 'admin', order: 890 },
    ],
  };
}

export { DeliveryRepository, type DeliveryRow, type DocumentRow } from './delivery.repository.js';
export { InvoiceDocumentsService, type StoredPdf } from './documents.service.js';
export { InvoiceMailService } from './mail.service.js';
export type { DeliveryRun } from './job.js';
export { InvoiceProfileService, type IssuingProfile } from '../profile.js';
