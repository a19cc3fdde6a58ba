import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SMTPServer } from 'smtp-server';
import { nullLogger } from '../../../../../plugin/common/logger.js';
import { InvoiceMailer } from '../../../../../plugin/invoicing/mail/invoice-mailer.js';
import { PdfRenderer } from '../../../../../plugin/invoicing/pdf/renderer.js';
import { createStaff, csrfFrom, loggedIn } from '../../../../support/web.js';
import { issue, testSnapshot } from '../../../../integration/plugin/invoicing/delivery/fixtures.js';
import { deliveryFixture, type DeliveryFixture } from '../../../../integration/plugin/invoicing/delivery/support.js';
import { buildInvoiceView } from '../../../../../plugin/invoicing/document/invoice-view.js';
import { renderInputOf } from '../../../../../plugin/invoicing/delivery/render-input.js';

const CHROMIUM = '/usr/bin/chromium';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function pdfText(dir: string, bytes: Buffer): string {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, bytes);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

interface Arrived {
  to: string[];
  raw: string;
}

/** A real SMTP server process-side (smtp-server) on loopback; `rcpt` answers each recipient. */
async function startSmtp(rcpt: (address: string) => Error | null) {
  const arrived: Arrived[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, cb) {
      cb(rcpt(address.address) ?? undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        arrived.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('latin1') });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { arrived, port: (server.server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const refusal = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/** The decoded PDF attachment of a raw message (base64 part with application/pdf). */
function pdfAttachment(raw: string): Buffer {
  const m = /Content-Type: application\/pdf[^]*?\r?\n\r?\n([A-Za-z0-9+/=\r\n]+?)(\r?\n--|$)/.exec(raw);
  if (!m) throw new Error('no PDF attachment');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

describe('invoice delivery with real Chromium and a real SMTP server', function () {
  this.timeout(120_000);
  let renderer: PdfRenderer;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-delivery-e2e-'));
    renderer = new PdfRenderer({ executablePath: CHROMIUM, poolSize: 1, queueLimit: 8, timeoutMs: 60_000, logger: nullLogger });
  });
  after(async () => {
    await renderer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the PDF job', () => {
    let f: DeliveryFixture;
    beforeEach(async () => (f = await deliveryFixture('sqlite', { renderer })));
    afterEach(() => f.close());

    it('renders the issued invoice: its number, the customer, a line and the total, the same bytes every time', async () => {
      const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
      await f.delivery.documents.enqueue([inv!.id]);
      expect((await f.delivery.job.runOnce()).documents.done).to.equal(1);
      const first = await f.delivery.documents.pdf(inv!.id);
      const view = buildInvoiceView(renderInputOf(await f.invoices.snapshot(inv!.id)));
      const text = pdfText(dir, first.bytes);
      expect(text).to.include(inv!.number!);
      expect(text).to.include('Gemeinschaftspraxis Dr. Mustermann');
      expect(text).to.include('Installation at the premises');
      expect(text).to.match(new RegExp(`Total\\s+${view.totals.total.replace(/[.]/g, '\\.')}`));
      // Rendered again from the snapshot (the file gone), later: the same SHA-256.
      await new Promise((r) => setTimeout(r, 1100));
      rmSync(join(f.storeDir, `2026/03/${inv!.number}.pdf`));
      const again = await f.delivery.documents.pdf(inv!.id);
      expect(again.sha256).to.equal(first.sha256);
      expect(sha(again.bytes)).to.equal((await f.delivery.documents.status(inv!.id))!.sha256);
    });
  });

  describe('a renderer that cannot start', () => {
    let f: DeliveryFixture;
    const broken = new PdfRenderer({ executablePath: '/nonexistent/chromium', poolSize: 1, queueLimit: 1, timeoutMs: 5000, logger: nullLogger });
    before(async () => (f = await deliveryFixture('sqlite', { renderer: broken })));
    after(async () => {
      await broken.close();
      await f.close();
    });

    it('is retried with backoff, then the PDF is failed, shown with its reason and a retry button', async () => {
      const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
      await f.delivery.documents.enqueue([inv!.id]);
      expect((await f.delivery.job.runOnce()).documents.retrying).to.equal(1);
      f.clock.advance(60_000);
      expect((await f.delivery.job.runOnce()).documents.retrying).to.equal(1);
      f.clock.advance(120_000);
      expect((await f.delivery.job.runOnce()).documents.failed).to.equal(1);
      const row = (await f.delivery.documents.status(inv!.id))!;
      expect(row.status).to.equal('failed');
      expect(row.attempts).to.equal(3);
      expect(row.lastError).to.match(/Chromium|chromium|ENOENT|spawn/);
      const billing = await loggedIn(f.plugin.app, await createStaff(f.plugin.ctx, 'billing'));
      const page = await billing.get('/delivery').expect(200);
      expect(page.text).to.include(inv!.number!);
      expect(page.text).to.include(`action="/invoices/${inv!.id}/pdf/retry"`);
      await billing.post(`/invoices/${inv!.id}/pdf/retry`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
      expect(await f.delivery.documents.status(inv!.id)).to.deep.include({ status: 'pending', attempts: 0 });
    });
  });

  describe('e-mail', () => {
    let f: DeliveryFixture;
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let mailer: InvoiceMailer;
    let busyOnce = true;

    before(async () => {
      smtp = await startSmtp((a) => {
        if (a.startsWith('busy@') && busyOnce) return (busyOnce = false), refusal(451, '4.3.0 Temporary local problem, try again later');
        if (a.startsWith('gone@')) return refusal(550, '5.1.1 No such user here');
        return null;
      });
      mailer = new InvoiceMailer({ host: '127.0.0.1', port: smtp.port, secure: false, requireTls: false, auth: null, from: 'Nordnetz Billing <billing@nordnetz.example>', timeoutMs: 5000 }, nullLogger);
      f = await deliveryFixture('sqlite', { renderer, mailer });
    });
    after(async () => {
      mailer.close();
      await smtp.close();
      await f.close();
    });

    it('arrives with the stored PDF attached, and the invoice becomes sent', async () => {
      const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
      await f.delivery.mail.enqueue(inv!.id, 'praxis@example.net');
      expect((await f.delivery.job.runOnce()).mails.done).to.equal(1);
      expect(smtp.arrived).to.have.length(1);
      const m = smtp.arrived[0]!;
      expect(m.to).to.deep.equal(['praxis@example.net']);
      expect(m.raw).to.match(new RegExp(`^Subject: Invoice ${inv!.number} from Nordnetz Breitband GmbH\\r?$`, 'm'));
      const attached = pdfAttachment(m.raw);
      expect(sha(attached)).to.equal((await f.delivery.documents.status(inv!.id))!.sha256);
      const [h] = await f.delivery.mail.history(inv!.id);
      expect(h!.status).to.equal('sent');
      expect(m.raw).to.include(`Message-ID: ${h!.messageId}`);
      expect((await f.invoices.get(inv!.id)).status).to.equal('sent');
    });

    it('is retried after the server answers 451, and then arrives', async () => {
      const [inv] = await issue(f.plugin.ctx, [testSnapshot({ accountId: 2 })]);
      await f.delivery.mail.enqueue(inv!.id, 'busy@example.net');
      const before = smtp.arrived.length;
      expect((await f.delivery.job.runOnce()).mails.retrying).to.equal(1);
      expect((await f.delivery.mail.history(inv!.id))[0]!.lastError).to.include('451');
      f.clock.advance(60_000);
      expect((await f.delivery.job.runOnce()).mails.done).to.equal(1);
      expect(smtp.arrived.length).to.equal(before + 1);
      expect((await f.delivery.mail.history(inv!.id))[0]).to.deep.include({ status: 'sent', attempts: 2 });
    });

    it('is failed at once when the server answers 550, with its answer on the Delivery page', async () => {
      const [inv] = await issue(f.plugin.ctx, [testSnapshot({ accountId: 3 })]);
      await f.delivery.mail.enqueue(inv!.id, 'gone@example.net');
      expect((await f.delivery.job.runOnce()).mails.failed).to.equal(1);
      const [h] = await f.delivery.mail.history(inv!.id);
      expect(h).to.deep.include({ status: 'failed', attempts: 1 });
      expect(h!.lastError).to.include('550').and.include('No such user here');
      expect((await f.invoices.get(inv!.id)).status).to.equal('issued');
      const readonly = await loggedIn(f.plugin.app, await createStaff(f.plugin.ctx, 'readonly'));
      const page = await readonly.get('/delivery').expect(200);
      expect(page.text).to.include('gone@example.net').and.include('No such user here');
      expect(page.text).to.not.include('/retry"'); // readonly sees, never sends again
    });
  });
});
