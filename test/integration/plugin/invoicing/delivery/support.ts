import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../../../plugin/common/clock.js';
import type { InvoiceView } from '../../../../../plugin/invoicing/document/invoice-view.js';
import { buildDelivery, type Delivery } from '../../../../../plugin/invoicing/delivery/index.js';
import { InvoicesRepository } from '../../../../../plugin/invoicing/invoices.repository.js';
import type { SentMail } from '../../../../../plugin/invoicing/mail/invoice-mailer.js';
import type { PdfJob, RenderedPdf } from '../../../../../plugin/invoicing/pdf/renderer.js';
import type { TestDialect } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';

/** A renderer that writes the HTML's digest as a tiny "PDF" (deterministic), or fails while `failing` says so. */
export class FakeRenderer {
  calls = 0;
  failing: Error | null = null;
  async render(job: PdfJob): Promise<RenderedPdf> {
    this.calls++;
    if (this.failing) throw this.failing;
    const bytes = Buffer.from(`%PDF-fake ${createHash('sha256').update(job.html).digest('hex')} ${job.issuedAt.toISOString()}\n%%EOF`);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
}

/** A mailer that records what it was asked to send, or throws what `next` holds (once each). */
export class FakeMailer {
  sent: Array<{ to: string; number: string; pdf: Buffer }> = [];
  next: Error[] = [];
  async sendInvoice(to: string, view: InvoiceView, pdf: Buffer): Promise<SentMail> {
    const err = this.next.shift();
    if (err) throw err;
    this.sent.push({ to, number: view.number, pdf });
    return { messageId: `<${this.sent.length}@test>`, accepted: [to] };
  }
}

export interface DeliveryFixture {
  plugin: TestPlugin;
  clock: ManualClock;
  delivery: Delivery;
  invoices: InvoicesRepository;
  storeDir: string;
  close(): Promise<void>;
}

/** A migrated plugin with only the delivery pages mounted, PDFs stored in a temporary folder. */
export async function deliveryFixture(dialect: TestDialect, deps: { renderer?: { render(job: PdfJob): Promise<RenderedPdf> }; mailer?: FakeMailer | { sendInvoice: FakeMailer['sendInvoice'] } } = {}): Promise<DeliveryFixture> {
  const storeDir = mkdtempSync(join(tmpdir(), 'octet-pdfs-'));
  const clock = new ManualClock('2026-03-01T06:00:00Z');
  let delivery: Delivery | null = null;
  let invoices: InvoicesRepository | null = null;
  const plugin = await createTestPlugin(dialect, {
    clock,
    config: { pdf: { storeDir, maxAttempts: 3, retryBaseSeconds: 60 } as never, smtp: { maxAttempts: 3, retryBaseSeconds: 60 } as never },
    modules: [
      {
        name: 'delivery-under-test',
        install: (ctx) => {
          invoices = new InvoicesRepository({ db: ctx.db, clock: ctx.clock });
          delivery = buildDelivery(ctx, { invoices, renderer: deps.renderer ?? new FakeRenderer(), mailer: deps.mailer });
          return { pages: delivery.pages, api: delivery.api, uploads: delivery.uploads, nav: delivery.nav, stop: () => delivery!.job.stop() };
        },
      },
    ],
  });
  return {
    plugin,
    clock,
    delivery: delivery!,
    invoices: invoices!,
    storeDir,
    close: async () => {
      await plugin.close();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
