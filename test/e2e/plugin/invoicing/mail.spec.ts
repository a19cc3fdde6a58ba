import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../../../../plugin/common/logger.js';
import { InvoiceMailer, MailPermanentError, MailTemporaryError, type SmtpSettings } from '../../../../plugin/invoicing/mail/invoice-mailer.js';
import { invoiceView } from '../../../unit/plugin/invoicing/fixtures.js';

interface Arrived {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server (the smtp-server package) on a loopback port, with AUTH and STARTTLS offered. */
async function startSmtp(opts: { rcpt?: (address: string) => Error | null } = {}) {
  const arrived: Arrived[] = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === 'octet' && auth.password === 'hunter2-smtp-secret') cb(null, { user: 'octet' });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const err = opts.rcpt?.(address.address) ?? null;
      cb(err ?? undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        arrived.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('latin1') });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { arrived, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function rejection(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

interface MimeLeaf {
  headers: string;
  body: Buffer;
}

/** Splits a MIME message into its leaf parts, decoded (base64, quoted-printable or as is). */
function mimeLeaves(entity: string): MimeLeaf[] {
  const split = /\r?\n\r?\n/.exec(entity);
  const headers = split ? entity.slice(0, split.index) : entity;
  const body = split ? entity.slice(split.index + split[0].length) : '';
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const boundary = /^Content-Type:\s*multipart\/[^\r\n]*boundary="?([^";\r\n]+)"?/im.exec(unfolded)?.[1];
  if (boundary) {
    const parts = body.split(`--${boundary}`).slice(1);
    return parts.filter((p) => !p.startsWith('--')).flatMap((p) => mimeLeaves(p.replace(/^\r?\n/, '')));
  }
  const encoding = /^Content-Transfer-Encoding:\s*(\S+)/im.exec(unfolded)?.[1]?.toLowerCase();
  const decoded =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
      : encoding === 'quoted-printable'
        ? Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
        : Buffer.from(body, 'latin1');
  return [{ headers: unfolded, body: decoded }];
}

function mimePart(raw: string, header: RegExp): Buffer {
  const leaf = mimeLeaves(raw).find((l) => header.test(l.headers));
  if (!leaf) throw new Error(`no MIME part with ${header}`);
  return leaf.body;
}

describe('invoice e-mail through a real SMTP server', function () {
  this.timeout(30_000);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff)), Buffer.from('\n%%EOF')]);
  const logs: string[] = [];
  const logger: Logger = {
    debug: (m, meta) => void logs.push(m + JSON.stringify(meta ?? {})),
    info: (m, meta) => void logs.push(m + JSON.stringify(meta ?? {})),
    warn: (m, meta) => void logs.push(m + JSON.stringify(meta ?? {})),
    error: (m, meta) => void logs.push(m + JSON.stringify(meta ?? {})),
    child: () => logger,
  };
  const settings = (port: number, over: Partial<SmtpSettings> = {}): SmtpSettings => ({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTls: false,
    auth: { user: 'octet', pass: 'hunter2-smtp-secret' },
    from: 'Nordnetz Billing <billing@nordnetz.example>',
    timeoutMs: 5000,
    rejectUnauthorized: false,
    ...over,
  });

  it('delivers the invoice to the customer, subject with its number, the PDF attached byte for byte', async () => {
    const smtp = await startSmtp();
    const mailer = new InvoiceMailer(settings(smtp.port), logger);
    try {
      const v = invoiceView();
      const sent = await mailer.sendInvoice('praxis@example.net', v, pdf);
      expect(sent.accepted).to.deep.equal(['praxis@example.net']);
      expect(smtp.arrived).to.have.length(1);
      const m = smtp.arrived[0]!;
      expect(m.from).to.equal('billing@nordnetz.example');
      expect(m.to).to.deep.equal(['praxis@example.net']);
      expect(m.raw).to.match(/^To: praxis@example\.net\r?$/m);
      expect(m.raw).to.match(/^From: Nordnetz Billing <billing@nordnetz\.example>\r?$/m);
      expect(m.raw).to.match(new RegExp(`^Subject: Invoice ${v.number} from ${v.seller.name}\\r?$`, 'm'));
      expect(m.raw).to.match(/^Message-ID: /m);
      const attachment = mimePart(m.raw, new RegExp(`Content-Type: application/pdf; name=${v.number}\\.pdf`));
      expect(attachment.equals(pdf)).to.equal(true);
      const text = mimePart(m.raw, /Content-Type: text\/plain/).toString('utf8');
      expect(text).to.include(v.totals.total);
    } finally {
      mailer.close();
      await smtp.close();
    }
  });

  it('tells a temporary refusal (452 mailbox full, try again later) from a permanent one (550, no such user)', async () => {
    const smtp = await startSmtp({
      rcpt: (a) => (a.startsWith('full@') ? rejection(452, 'Mailbox full, try again later') : a.startsWith('gone@') ? rejection(550, 'No such user here') : null),
    });
    const mailer = new InvoiceMailer(settings(smtp.port), logger);
    try {
      const v = invoiceView();
      const temporary = await mailer.sendInvoice('full@example.net', v, pdf).then(() => null, (e: unknown) => e);
      expect(temporary).to.be.instanceOf(MailTemporaryError);
      expect((temporary as MailTemporaryError).retryable).to.equal(true);
      expect((temporary as MailTemporaryError).responseCode).to.equal(452);
      const permanent = await mailer.sendInvoice('gone@example.net', v, pdf).then(() => null, (e: unknown) => e);
      expect(permanent).to.be.instanceOf(MailPermanentError);
      expect((permanent as MailPermanentError).retryable).to.equal(false);
      expect((permanent as MailPermanentError).responseCode).to.equal(550);
      expect(smtp.arrived).to.have.length(0);
    } finally {
      mailer.close();
      await smtp.close();
    }
  });

  it('retries later when the SMTP server is not there (connection refused)', async () => {
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const mailer = new InvoiceMailer(settings(port), logger);
    try {
      const err = await mailer.sendInvoice('praxis@example.net', invoiceView(), pdf).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(MailTemporaryError);
      expect((err as MailTemporaryError).retryable).to.equal(true);
    } finally {
      mailer.close();
    }
  });

  it('fails for good on wrong SMTP credentials, and never logs the password', async () => {
    const smtp = await startSmtp();
    const mailer = new InvoiceMailer(settings(smtp.port, { auth: { user: 'octet', pass: 'wrong-password-xyz' } }), logger);
    try {
      const err = await mailer.sendInvoice('praxis@example.net', invoiceView(), pdf).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(MailPermanentError);
      expect(logs.join('\n')).not.to.include('wrong-password-xyz');
      expect(logs.join('\n')).not.to.include('hunter2-smtp-secret');
      expect(String((err as Error).message)).not.to.include('wrong-password-xyz');
    } finally {
      mailer.close();
      await smtp.close();
    }
  });
});
