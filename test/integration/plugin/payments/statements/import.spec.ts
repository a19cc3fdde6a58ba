import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ManualClock } from '../../../../../plugin/common/clock.js';
import { ValidationError } from '../../../../../plugin/common/errors.js';
import type { InvoiceRecord } from '../../../../../plugin/invoicing/index.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn } from '../../../../support/web.js';
import { issue, newDocument } from '../../invoicing/web/fixtures.js';
import { withStatements } from './plugin.js';

// test/fixtures/camt053/camt053.001.02.xml is shaped as ISO 20022 camt.053.001.02 and the SIX
// Swiss Implementation Guidelines (camt.053, Swiss Payment Standards) define it; see camt053.spec.ts.
const FIXTURE = readFileSync(new URL('../../../../fixtures/camt053/camt053.001.02.xml', import.meta.url), 'utf8');
const SOURCE = 'camt053:DE89370400440532013000';

forEachDatabase('importing bank statements', (dialect) => {
  let plugin: TestPlugin;
  let invoice: InvoiceRecord;
  let payer: number;
  let other: number;
  let xml: string;

  const statements = withStatements();

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-12-02T10:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } }, modules: statements.modules });
    const subs = plugin.services.subscribers.subscribers;
    payer = (await subs.createAccount({ name: 'Erika Mustermann' }, 'test')).id;
    other = (await subs.createAccount({ name: 'Max Muster', externalId: 'CUST-7781' }, 'test')).id;
    [invoice] = (await issue(plugin.ctx, plugin.services.invoicing.invoices, [{ ...newDocument(payer, 'k1'), dueDate: '2026-12-15' }])) as [InvoiceRecord];
    // Entry 1 names the invoice; entry 3 carries only an RF creditor reference nobody knows.
    xml = FIXTURE.replace('INV-000123', invoice.number!);
  });
  after(async () => plugin?.close());

  const importer = () => statements.built().importer;
  const paymentsOf = async (accountId: number) => (await plugin.services.payments.list({ accountId })).rows;
  const read = (content: string) => importer().read('camt053', content, null);

  it('records the credit that names an invoice, allocated to it, and queues the one nobody can be found for', async () => {
    const report = await importer().import(await read(xml), 'user:1');
    expect(report).to.deep.include({ recorded: 1, duplicates: 0, queued: 1, alreadyQueued: 0 });
    expect(report.skipped).to.deep.equal([
      { externalId: '2026120100002', reason: 'debit' },
      { externalId: '2026120100004', reason: 'status PDNG, not BOOK' },
    ]);
    const [p] = await paymentsOf(payer);
    expect(p).to.deep.include({ amountMinor: 11900n, currency: 'EUR', method: 'bank_transfer', source: SOURCE, externalId: '2026120100001', reference: `Rechnung ${invoice.number} danke` });
    expect(p!.receivedAt.toISOString()).to.equal('2026-12-01T00:00:00.000Z');
    expect((await plugin.services.invoicing.invoices.get(invoice.id)).status).to.equal('paid');
    const queue = await importer().unmatched('open');
    expect(queue.map((q) => [q.source, q.externalId, q.amountMinor, q.currency, q.payer, q.reason])).to.deep.equal([
      [SOURCE, '2026120100003', 10438n, 'EUR', 'Max Muster', 'no invoice number or customer reference in the text'],
    ]);
  });

  it('records nothing twice when the same statement is imported again', async () => {
    const report = await importer().import(await read(xml), 'user:1');
    expect(report).to.deep.include({ recorded: 0, duplicates: 1, queued: 0, alreadyQueued: 1 });
    expect(await paymentsOf(payer)).to.have.length(1);
    expect(await importer().unmatched('open')).to.have.length(1);
  });

  it('refuses a malformed statement whole: nothing is recorded or queued', async () => {
    const broken = xml.replace('<AcctSvcrRef>2026120100003</AcctSvcrRef>', '<AcctSvcrRef>X</AcctSvcr>').replace(invoice.number!, 'INV-000999');
    let error: unknown;
    try {
      await read(broken);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as Error).message).to.match(/^camt\.053: line \d+, column \d+: not well-formed XML/);
    expect(await paymentsOf(payer)).to.have.length(1);
    expect(await importer().unmatched('open')).to.have.length(1);
  });

  it('lets a person assign a queued line to an account: it is recorded once, and a re-import adds nothing', async () => {
    const [line] = await importer().unmatched('open');
    const r = await importer().assign(line!.id, { accountId: other }, 'user:2');
    expect(r.duplicate).to.equal(false);
    const [p] = await paymentsOf(other);
    expect(p).to.deep.include({ id: r.paymentId, amountMinor: 10438n, source: SOURCE, externalId: '2026120100003' });
    expect(await importer().unmatched('open')).to.deep.equal([]);
    const [assigned] = await importer().unmatched('assigned');
    expect(assigned).to.deep.include({ accountId: other, paymentId: r.paymentId, resolvedBy: 'user:2', resolution: `account ${other}` });
    const again = await importer().import(await read(xml), 'user:1');
    expect(again).to.deep.include({ recorded: 0, duplicates: 1, queued: 0, alreadyQueued: 1 });
    expect(await paymentsOf(other)).to.have.length(1);
  });

  it('matches a CSV statement by account id and external id through the mapping saved for its bank, and dismisses with a reason', async () => {
    await importer().saveMapping({ bank: 'sparkasse', delimiter: ';', decimalSeparator: ',', dateFormat: 'DD.MM.YYYY', date: 'Buchungstag', amount: 'Betrag', currency: 'Waehrung', reference: 'Verwendungszweck', payer: 'Name', transactionId: 'Referenz' }, 'user:1');
    const csv = [
      'Buchungstag;Betrag;Waehrung;Verwendungszweck;Name;Referenz',
      `01.12.2026;1.234,50;EUR;Kunde ${payer} Dezember;Erika Mustermann;SPK-1`,
      '01.12.2026;20,00;EUR;CUST-7781;Max Muster;SPK-2',
      '01.12.2026;-5,00;EUR;Gebuehr;;SPK-3',
      '02.12.2026;7,00;EUR;Spende;Jemand;SPK-4',
    ].join('\n');
    const statements = await importer().read('csv', csv, 'sparkasse');
    const preview = await importer().preview(statements);
    expect(preview.map((p) => p.match.accountId)).to.deep.equal([payer, other, null]);
    const report = await importer().import(statements, 'user:1');
    expect(report).to.deep.include({ recorded: 2, queued: 1, skipped: [{ externalId: 'SPK-3', reason: 'debit' }] });
    expect((await paymentsOf(payer)).map((p) => [p.source, p.externalId, p.amountMinor])).to.deep.include(['csv:sparkasse', 'SPK-1', 123450n]);
    expect((await paymentsOf(other)).map((p) => [p.externalId, p.amountMinor])).to.deep.include(['SPK-2', 2000n]);
    expect(await importer().import(await importer().read('csv', csv, 'sparkasse'), 'user:1')).to.deep.include({ recorded: 0, duplicates: 2, queued: 0, alreadyQueued: 1 });

    const [spende] = await importer().unmatched('open');
    expect(spende!.externalId).to.equal('SPK-4');
    await importer().dismiss(spende!.id, 'a donation, not a customer payment', 'user:2');
    expect((await importer().unmatched('dismissed')).map((d) => [d.externalId, d.resolution])).to.deep.equal([['SPK-4', 'a donation, not a customer payment']]);
  });

  it('upload page: preview then import, billing staff only, with CSRF', async function () {
    this.timeout(30_000);
    const readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly'));
    expect((await readonly.get('/statements')).status).to.equal(403);
    expect((await readonly.get('/statements/unmatched')).status).to.equal(200);
    const staff = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing'));
    const csrf = await csrfOf(staff, '/statements');
    const statement = FIXTURE.replace(/2026120100001/g, 'WEB-1').replace(/2026120100003/g, 'WEB-3').replace('INV-000123', invoice.number!);
    const noCsrf = await staff.post('/statements/preview').field('kind', 'camt053').attach('file', Buffer.from(statement), 'day.xml');
    expect(noCsrf.status).to.equal(403);
    const preview = await staff.post('/statements/preview').field('_csrf', csrf).field('kind', 'camt053').attach('file', Buffer.from(statement), 'day.xml');
    expect(preview.status).to.equal(200);
    expect(preview.text).to.contain('2 credit line(s): 1 would be recorded, 1 would wait in the unmatched queue; 2 entr(y/ies) skipped.');
    const token = /name="token" value="([0-9a-f]{64})"/.exec(preview.text)![1]!;
    expect(await paymentsOf(payer)).to.have.length(2);
    const done = await staff.post('/statements/confirm').type('form').send({ _csrf: csrf, token });
    expect(done.status).to.equal(200);
    expect(done.text).to.contain('Recorded 1 payment(s); 0 recorded before; 1 queued as unmatched');
    expect(await paymentsOf(payer)).to.have.length(3);
    expect((await staff.post('/statements/confirm').type('form').send({ _csrf: csrf, token })).status).to.equal(410);
    const bad = await staff.post('/statements/preview').field('_csrf', csrf).field('kind', 'camt053').attach('file', Buffer.from('<Document><oops'), 'bad.xml');
    expect(bad.status).to.equal(422);
    expect(bad.text).to.contain('not well-formed XML');
  });

  it('unmatched page: billing staff assign a line to an invoice or dismiss it with a reason; readonly staff only see', async function () {
    this.timeout(30_000);
    const bank = FIXTURE.replace(/2026120100001/g, 'Q-1').replace(/2026120100003/g, 'Q-3').replace('Rechnung INV-000123 danke', 'no reference at all');
    expect(await importer().import(await read(bank), 'user:1')).to.deep.include({ recorded: 0, queued: 2 });
    const open = (await importer().unmatched('open')).filter((q) => q.externalId.startsWith('Q-'));
    const [q1, q3] = [open.find((q) => q.externalId === 'Q-1')!, open.find((q) => q.externalId === 'Q-3')!];
    const readonly = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'readonly', 'ro2@isp.example'));
    const seen = await readonly.get('/statements/unmatched');
    expect(seen.text).to.contain('Q-1').and.not.contain(`/statements/unmatched/${q1.id}/assign`);
    expect((await readonly.post(`/statements/unmatched/${q1.id}/dismiss`).type('form').send({ _csrf: await csrfOf(readonly, '/statements/unmatched'), reason: 'nope' })).status).to.equal(403);

    const staff = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing', 'b2@isp.example'));
    const csrf = await csrfOf(staff, '/statements/unmatched');
    expect((await staff.post(`/statements/unmatched/${q1.id}/assign`).type('form').send({ _csrf: csrf, invoiceNumber: 'INV-999999' })).status).to.equal(422);
    expect((await staff.post(`/statements/unmatched/${q1.id}/assign`).type('form').send({ _csrf: csrf, invoiceNumber: invoice.number! })).status).to.equal(303);
    expect((await paymentsOf(payer)).map((p) => p.externalId)).to.include('Q-1');
    expect((await staff.post(`/statements/unmatched/${q1.id}/assign`).type('form').send({ _csrf: csrf, accountId: String(other) })).status).to.equal(409);
    expect((await staff.post(`/statements/unmatched/${q3.id}/dismiss`).type('form').send({ _csrf: csrf, reason: '' })).status).to.equal(422);
    expect((await staff.post(`/statements/unmatched/${q3.id}/dismiss`).type('form').send({ _csrf: csrf, reason: 'paid twice by mistake, sent back' })).status).to.equal(303);
    const dismissed = await staff.get('/statements/unmatched?status=dismissed');
    expect(dismissed.text).to.contain('paid twice by mistake, sent back');
    expect((await paymentsOf(other)).map((p) => p.externalId)).not.to.include('Q-3');
  });

  it('two imports of one statement at once still record and queue each line once', async () => {
    const twice = FIXTURE.replace(/2026120100001/g, 'RACE-1').replace(/2026120100003/g, 'RACE-3').replace('INV-000123', invoice.number!);
    const before = (await paymentsOf(payer)).length;
    const reports = await Promise.all([importer().import(await read(twice), 'user:1'), importer().import(await read(twice), 'user:2')]);
    expect(reports.reduce((n, r) => n + r.recorded, 0)).to.equal(1);
    expect(reports.reduce((n, r) => n + r.queued, 0)).to.equal(1);
    expect((await paymentsOf(payer)).length).to.equal(before + 1);
    expect((await importer().unmatched('open')).filter((q) => q.externalId === 'RACE-3')).to.have.length(1);
    const [line] = (await importer().unmatched('open')).filter((q) => q.externalId === 'RACE-3');
    await importer().dismiss(line!.id, 'race test line', 'user:1');
  });
});
