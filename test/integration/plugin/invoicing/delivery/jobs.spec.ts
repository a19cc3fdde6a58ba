import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { OperationalError } from '../../../../../plugin/common/errors.js';
import { LeaseRepository } from '../../../../../plugin/jobs/index.js';
import { DELIVERY_LEASE } from '../../../../../plugin/invoicing/delivery/job.js';
import { MailPermanentError, MailTemporaryError } from '../../../../../plugin/invoicing/mail/invoice-mailer.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { issue, testSnapshot } from './fixtures.js';
import { deliveryFixture, FakeMailer, FakeRenderer, type DeliveryFixture } from './support.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

forEachDatabase('invoice delivery jobs', (dialect) => {
  let f: DeliveryFixture;
  let renderer: FakeRenderer;
  let mailer: FakeMailer;

  beforeEach(async () => {
    renderer = new FakeRenderer();
    mailer = new FakeMailer();
    f = await deliveryFixture(dialect, { renderer, mailer });
  });
  afterEach(() => f.close());

  it('renders each wanted PDF once into YYYY/MM/<number>.pdf with its SHA-256, however often it was asked for', async () => {
    const [a, b] = await issue(f.plugin.ctx, [testSnapshot(), testSnapshot({ accountId: 2 })]);
    await f.plugin.ctx.db.transaction((t) => f.delivery.documents.enqueue([a!.id, b!.id], t));
    await f.delivery.documents.enqueue([a!.id]);
    const run = await f.delivery.job.runOnce();
    expect(run).to.deep.include({ ran: true, documents: { done: 2, retrying: 0, failed: 0 } });
    const row = (await f.delivery.documents.status(a!.id))!;
    expect(row).to.deep.include({ status: 'rendered', attempts: 1, path: `2026/03/${a!.number}.pdf`, lastError: null });
    const onDisk = readFileSync(join(f.storeDir, row.path!));
    expect(sha(onDisk)).to.equal(row.sha256);
    expect(row.byteSize).to.equal(onDisk.length);
    expect((await f.delivery.job.runOnce()).documents.done).to.equal(0);
    expect(renderer.calls).to.equal(2);
  });

  it('retries a failing render with backoff, then leaves it failed with the error, until staff retry it', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    await f.delivery.documents.enqueue([inv!.id]);
    renderer.failing = new OperationalError('Chromium crashed: Target closed');
    expect((await f.delivery.job.runOnce()).documents).to.deep.equal({ done: 0, retrying: 1, failed: 0 });
    expect(await f.delivery.documents.status(inv!.id)).to.deep.include({ status: 'pending', attempts: 1, lastError: 'Chromium crashed: Target closed' });
    // Not before its time: the retry waits a minute, then two.
    expect((await f.delivery.job.runOnce()).documents.retrying).to.equal(0);
    f.clock.advance(60_000);
    expect((await f.delivery.job.runOnce()).documents.retrying).to.equal(1);
    f.clock.advance(120_000);
    expect((await f.delivery.job.runOnce()).documents).to.deep.equal({ done: 0, retrying: 0, failed: 1 });
    expect(await f.delivery.documents.status(inv!.id)).to.deep.include({ status: 'failed', attempts: 3 });
    expect((await f.delivery.documents.failed()).map((d) => d.invoiceId)).to.deep.equal([inv!.id]);
    f.clock.advance(24 * 3600_000);
    expect((await f.delivery.job.runOnce()).documents.done).to.equal(0);

    renderer.failing = null;
    await f.delivery.documents.retry(inv!.id);
    expect((await f.delivery.job.runOnce()).documents.done).to.equal(1);
    expect(await f.delivery.documents.status(inv!.id)).to.deep.include({ status: 'rendered', attempts: 1, lastError: null });
  });

  it('hands out the stored PDF, rendering it on demand when it is not yet, and again when its file was lost', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    const first = await f.delivery.documents.pdf(inv!.id);
    expect(first.filename).to.equal(`${inv!.number}.pdf`);
    expect((await f.delivery.documents.status(inv!.id))!.status).to.equal('rendered');
    rmSync(join(f.storeDir, '2026/03', first.filename));
    const again = await f.delivery.documents.pdf(inv!.id);
    expect(again.sha256).to.equal(first.sha256);
    expect(existsSync(join(f.storeDir, '2026/03', first.filename))).to.equal(true);
    expect(renderer.calls).to.equal(2);
  });

  it('gives two requests for the same unrendered PDF the same bytes, the attempt counted once', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    const [x, y] = await Promise.all([f.delivery.documents.pdf(inv!.id), f.delivery.documents.pdf(inv!.id)]);
    expect(x.sha256).to.equal(y.sha256);
    expect(await f.delivery.documents.status(inv!.id)).to.deep.include({ status: 'rendered', attempts: 1, sha256: x.sha256 });
  });

  it('renders nothing while another instance holds the lease', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    await f.delivery.documents.enqueue([inv!.id]);
    const other = await new LeaseRepository(f.plugin.ctx.db).acquire(DELIVERY_LEASE, 'other-instance', 60_000);
    expect(other).to.not.equal(null);
    expect((await f.delivery.job.runOnce()).ran).to.equal(false);
    expect((await f.delivery.documents.status(inv!.id))!.status).to.equal('pending');
  });

  it('sends the e-mail once its PDF is rendered, with that PDF, and moves the invoice to sent', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    const id = await f.plugin.ctx.db.transaction((t) => f.delivery.mail.enqueue(inv!.id, 'praxis@example.net', t));
    const run = await f.delivery.job.runOnce();
    expect(run.documents.done).to.equal(1);
    expect(run.mails.done).to.equal(1);
    expect(mailer.sent.map((m) => [m.to, m.number])).to.deep.equal([['praxis@example.net', inv!.number]]);
    expect(sha(mailer.sent[0]!.pdf)).to.equal((await f.delivery.documents.status(inv!.id))!.sha256);
    const [h] = await f.delivery.mail.history(inv!.id);
    expect(h).to.deep.include({ id, status: 'sent', attempts: 1, messageId: '<1@test>', to: 'praxis@example.net' });
    const after = await f.invoices.get(inv!.id);
    expect(after.status).to.equal('sent');
    expect(after.sentAt?.toISOString()).to.equal('2026-03-01T06:00:00.000Z');
  });

  it('retries a temporary refusal later and fails a permanent one with the server\'s answer', async () => {
    const [a, b] = await issue(f.plugin.ctx, [testSnapshot(), testSnapshot({ accountId: 2 })]);
    await f.delivery.mail.enqueue(a!.id, 'full@example.net');
    await f.delivery.mail.enqueue(b!.id, 'gone@example.net');
    mailer.next = [new MailTemporaryError('SMTP: 451 4.3.0 try again later', 451), new MailPermanentError('SMTP: 550 5.1.1 no such user', 550)];
    expect((await f.delivery.job.runOnce()).mails).to.deep.equal({ done: 0, retrying: 1, failed: 1 });
    expect((await f.delivery.mail.history(a!.id))[0]).to.deep.include({ status: 'pending', attempts: 1, lastError: 'SMTP: 451 4.3.0 try again later' });
    expect((await f.delivery.mail.history(b!.id))[0]).to.deep.include({ status: 'failed', attempts: 1, lastError: 'SMTP: 550 5.1.1 no such user' });
    expect((await f.invoices.get(b!.id)).status).to.equal('issued');
    f.clock.advance(60_000);
    expect((await f.delivery.job.runOnce()).mails).to.deep.equal({ done: 1, retrying: 0, failed: 0 });
    expect((await f.delivery.mail.history(a!.id))[0]).to.deep.include({ status: 'sent', attempts: 2, lastError: null });
    // Sent again by hand: a new delivery, the failed one stays in the history.
    await f.delivery.mail.retry((await f.delivery.mail.history(b!.id))[0]!.id, 'user:1');
    await f.delivery.job.runOnce();
    expect((await f.delivery.mail.history(b!.id)).map((d) => d.status)).to.deep.equal(['sent', 'failed']);
  });

  it('refuses an address that is not one, and queues nothing', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    for (const to of ['', 'no-at-sign', 'a@b.example\r\nBcc: x@y.example', 'a@b.example, c@d.example']) {
      const err = await f.delivery.mail.enqueue(inv!.id, to).then(() => null, (e: unknown) => e as Error);
      expect(err?.name, to).to.equal('ValidationError');
    }
    expect(await f.delivery.mail.history(inv!.id)).to.deep.equal([]);
  });

  it('sends again after a crash between the send and its record (twice at worst, never not at all)', async () => {
    const [inv] = await issue(f.plugin.ctx, [testSnapshot()]);
    await f.delivery.mail.enqueue(inv!.id, 'praxis@example.net');
    await f.delivery.documents.pdf(inv!.id);
    // The crash: the attempt was claimed (counted, next try moved on), then the process died.
    const [d] = await f.delivery.mail.history(inv!.id);
    await f.plugin.ctx.db.sequelize.query("UPDATE invoice_deliveries SET attempts = 1, next_attempt_at = ? WHERE id = ?", {
      replacements: [dialect === 'sqlite' ? '2026-03-01 06:01:00.000 +00:00' : '2026-03-01 06:01:00.000', d!.id],
    });
    expect((await f.delivery.job.runOnce()).mails.done).to.equal(0);
    f.clock.advance(60_000);
    expect((await f.delivery.job.runOnce()).mails.done).to.equal(1);
    expect(mailer.sent).to.have.length(1);
  });
});
