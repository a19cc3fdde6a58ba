import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { SMTPServer } from 'smtp-server';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { FRIDAY, overdueCustomer } from '../../../integration/plugin/dunning/helpers.js';

/** A real SMTP server (the smtp-server package) on loopback, refusing one recipient with 550. */
async function startSmtp(refuse: string) {
  const arrived: Array<{ to: string[]; raw: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _s, cb) {
      cb(address.address === refuse ? Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        arrived.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { arrived, port: (server.server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

forEachDatabase('payment reminders by e-mail', (dialect) => {
  let plugin: TestPlugin;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;

  before(async () => {
    smtp = await startSmtp('refused@example.net');
    plugin = await createTestPlugin(dialect, {
      clock: new ManualClock(FRIDAY),
      config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' }, smtp: { host: '127.0.0.1', port: smtp.port, requireTls: false, from: 'Billing <billing@isp.example>' } },
    });
  });
  after(async () => {
    await plugin?.close();
    await smtp?.close();
  });

  it('sends the reminder a day after the due date once, through SMTP, and records a refused address as failed with the answer', async () => {
    const ok = await overdueCustomer(plugin, 'ok', '2026-03-19');
    const refused = await overdueCustomer(plugin, 'refused', '2026-03-19');
    const r = await plugin.services.dunning.dunning.evaluate({ dryRun: false, actor: 'system:dunning' });
    expect(r.reminders).to.deep.equal({ sent: 1, unsent: 0, failed: 1 });
    await plugin.services.dunning.dunning.evaluate({ dryRun: false, actor: 'system:dunning' });
    expect(smtp.arrived.map((m) => m.to)).to.deep.equal([['ok@example.net']]);
    const mail = smtp.arrived[0]!.raw;
    expect(mail).to.contain(`Subject: Payment reminder: invoice ${ok.invoice.number} is overdue`);
    expect(mail).to.contain('99.25 EUR').and.to.contain('due on 2026-03-19').and.to.contain('1 day past due');
    const [sent] = await plugin.services.dunning.repo.reminders([ok.accountId]);
    expect([sent!.status, sent!.offsetDays]).to.deep.equal(['sent', 1]);
    const [failed] = await plugin.services.dunning.repo.reminders([refused.accountId]);
    expect(failed!.status).to.equal('failed');
    expect(failed!.lastError).to.match(/^SMTP: 550/);
  });
});
