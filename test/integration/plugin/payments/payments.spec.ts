import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ConflictError, ValidationError } from '../../../../plugin/common/errors.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { InvoiceRecord } from '../../../../plugin/invoicing/index.js';
import type { PaymentsService, RecordPayment } from '../../../../plugin/payments/index.js';
import { CreditJob } from '../../../../plugin/payments/credit.job.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { issue, newDocument } from '../invoicing/web/fixtures.js';

/** The fixture invoice totals EUR 99.25 (9925 minor units). */
const TOTAL = 9925n;

forEachDatabase('recording payments', (dialect) => {
  let plugin: TestPlugin;
  let payments: PaymentsService;
  let seq = 0;

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-20T10:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    payments = plugin.services.payments;
  });
  after(async () => plugin?.close());

  async function account(currency = 'EUR'): Promise<number> {
    return (await plugin.services.subscribers.subscribers.createAccount({ name: `Payer ${++seq}`, currency }, 'test')).id;
  }

  async function invoice(accountId: number, dueDate: string, over: { corrects?: InvoiceRecord } = {}): Promise<InvoiceRecord> {
    const d = newDocument(accountId, `k${++seq}`, over.corrects ? { type: 'credit_note', corrects: { id: over.corrects.id, number: over.corrects.number! } } : {});
    const [r] = await issue(plugin.ctx, plugin.services.invoicing.invoices, [{ ...d, dueDate }]);
    return r!;
  }

  const pay = (accountId: number, amountMinor: bigint, over: Partial<RecordPayment> = {}) =>
    payments.record({ accountId, amountMinor, currency: 'EUR', method: 'bank_transfer', reference: 'SEPA 1', receivedAt: new Date('2026-03-20T09:00:00Z'), source: 'manual', externalId: null, ...over }, 'user:1');

  const status = async (i: InvoiceRecord) => (await plugin.services.invoicing.invoices.get(i.id)).status;
  const owed = async (accountId: number) => (await payments.outstanding([accountId], '2026-03-20')).get(accountId)!;
  const count = async (accountId: number) => (await payments.list({ accountId })).total;

  it('pays the oldest open invoice first and moves it to paid, the rest going to the next one', async () => {
    const a = await account();
    const newer = await invoice(a, '2026-03-15');
    const older = await invoice(a, '2026-02-15');
    const r = await pay(a, TOTAL + 1000n);
    expect(r.duplicate).to.equal(false);
    expect(await status(older)).to.equal('paid');
    expect(await status(newer)).to.equal('issued');
    const o = await owed(a);
    expect(o).to.deep.equal({ currency: 'EUR', openMinor: TOTAL - 1000n, overdueMinor: TOTAL - 1000n, oldestDueDate: '2026-03-15', overdueInvoices: [{ invoiceId: newer.id, number: newer.number, dueDate: '2026-03-15', outstandingMinor: TOTAL - 1000n }] });
    const p = await payments.get(r.paymentId);
    expect([p.allocatedMinor, p.refundedMinor, p.status]).to.deep.equal([TOTAL + 1000n, 0n, 'recorded']);
  });

  it('pays a chosen invoice first', async () => {
    const a = await account();
    const older = await invoice(a, '2026-02-15');
    const newer = await invoice(a, '2026-03-15');
    await pay(a, TOTAL, { allocateTo: newer.id });
    expect([await status(older), await status(newer)]).to.deep.equal(['issued', 'paid']);
  });

  it('refuses to pay a chosen invoice that is not open on the account, recording nothing', async () => {
    const a = await account();
    const other = await invoice(await account(), '2026-02-15');
    const err = await pay(a, 100n, { allocateTo: other.id }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.field).to.equal('allocateTo');
    expect(await count(a)).to.equal(0);
  });

  it('leaves a partly paid invoice open with what is left', async () => {
    const a = await account();
    const i = await invoice(a, '2026-02-15');
    await pay(a, 5000n);
    expect(await status(i)).to.equal('issued');
    expect((await owed(a)).openMinor).to.equal(TOTAL - 5000n);
    await pay(a, TOTAL - 5000n);
    expect(await status(i)).to.equal('paid');
  });

  it('keeps an overpayment as credit, which pays the next invoice', async () => {
    const a = await account();
    const first = await invoice(a, '2026-02-15');
    await pay(a, TOTAL + 2075n);
    expect(await status(first)).to.equal('paid');
    expect((await payments.balance(a, '2026-03-20')).creditMinor).to.equal(2075n);
    const next = await invoice(a, '2026-04-15');
    // Dunning reads the credit as paying the new invoice before the allocation is written.
    expect((await owed(a)).openMinor).to.equal(TOTAL - 2075n);
    const applied = await payments.applyCredit(a, 'system:billing');
    expect(applied.map((x) => [x.invoiceId, x.amountMinor])).to.deep.equal([[next.id, '2075']]);
    const b = await payments.balance(a, '2026-03-20');
    expect([b.creditMinor, b.openMinor, b.balanceMinor]).to.deep.equal([0n, TOTAL - 2075n, TOTAL - 2075n]);
    // A later payment's own money follows the credit already spent: it pays what is left, no more.
    await pay(a, TOTAL);
    expect(await status(next)).to.equal('paid');
    expect((await payments.balance(a, '2026-03-20')).creditMinor).to.equal(2075n);
  });

  it('allocates credit held to invoices issued since, on the credit job’s pass, and moves a covered one to paid', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    await pay(a, 2n * TOTAL);
    const next = await invoice(a, '2026-04-15');
    const job = new CreditJob({ payments, logger: nullLogger });
    expect(await job.tick()).to.be.greaterThan(0);
    expect(await status(next)).to.equal('paid');
    expect((await payments.balance(a, '2026-03-20')).creditMinor).to.equal(0n);
    expect(await job.tick()).to.equal(0);
  });

  it('makes a payment wait while another transaction (dunning) holds the account’s payment lock', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const dunning = plugin.ctx.db.transaction(async (t) => {
      await payments.lockAccount(a, t);
      locked();
      await held;
    });
    await isLocked;
    let done = false;
    const paying = pay(a, TOTAL).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).to.equal(false);
    release();
    await dunning;
    await paying;
    expect(done).to.equal(true);
  });

  it('counts a credit note against the invoice it corrects', async () => {
    const a = await account();
    const i = await invoice(a, '2026-02-15');
    await invoice(a, '2026-02-15', { corrects: i });
    expect((await owed(a)).openMinor).to.equal(0n);
    await pay(a, 500n);
    expect((await payments.balance(a, '2026-03-20')).creditMinor).to.equal(500n);
  });

  it('refunds a payment’s credit with a reason, and refuses to refund money that pays invoices', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    const { paymentId } = await pay(a, TOTAL + 3000n);
    const tooMuch = await payments.refund(paymentId, 3001n, 'overpaid', 'user:1').catch((e: unknown) => e);
    expect(tooMuch).to.be.instanceOf(ConflictError);
    await payments.refund(paymentId, 1000n, 'overpaid by mistake', 'user:1');
    expect((await payments.get(paymentId)).status).to.equal('part_refunded');
    await payments.refundCredit(a, 2000n, 'customer asked for the rest', 'user:1');
    const p = await payments.get(paymentId);
    expect([p.refundedMinor, p.status]).to.deep.equal([3000n, 'part_refunded']);
    const b = await payments.balance(a, '2026-03-20');
    expect([b.creditMinor, b.refundedMinor, b.balanceMinor]).to.deep.equal([0n, 3000n, 0n]);
    const noReason = await payments.refundCredit(a, 1n, '  ', 'user:1').catch((e: unknown) => e);
    expect((noReason as ValidationError).issues.map((i) => i.field)).to.deep.equal(['reason']);
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'payment', entityId: paymentId });
    expect(audit.map((e) => e.action).sort()).to.deep.equal(['payment.recorded', 'payment.refunded', 'payment.refunded']);
  });

  it('records a payment once per source and external id: the second time returns the first and records nothing', async () => {
    const a = await account();
    const i = await invoice(a, '2026-02-15');
    const first = await pay(a, 4000n, { source: 'bank:camt', externalId: 'E2E-42' });
    const again = await pay(a, 4000n, { source: 'bank:camt', externalId: 'E2E-42' });
    expect(again).to.deep.equal({ paymentId: first.paymentId, duplicate: true });
    expect(await count(a)).to.equal(1);
    expect((await owed(a)).openMinor).to.equal(TOTAL - 4000n);
    // The same id from another source is another payment.
    await pay(a, 100n, { source: 'stripe', externalId: 'E2E-42' });
    expect(await count(a)).to.equal(2);
    expect(await status(i)).to.equal('issued');
  });

  it('refuses an unknown account, another currency, and a negative or malformed amount with the field named, recording nothing', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    const fields = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as ValidationError).issues.map((i) => i.field);
    expect(await fields(pay(987654, 100n))).to.deep.equal(['accountId']);
    expect(await fields(pay(a, 100n, { currency: 'USD' }))).to.deep.equal(['currency']);
    expect(await fields(pay(a, -100n))).to.deep.equal(['amountMinor']);
    expect(await fields(pay(a, 0n))).to.deep.equal(['amountMinor']);
    expect(await fields(pay(a, 100n, { method: 'cheque' as never, receivedAt: new Date('nope') }))).to.deep.equal(['method', 'receivedAt']);
    expect(await count(a)).to.equal(0);
    expect((await owed(a)).openMinor).to.equal(TOTAL);
  });

  it('calls the dunning hook in the payment’s transaction, after allocation: if it fails, nothing is recorded', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    const seen: Array<[number, bigint]> = [];
    payments.onPaymentRecorded = async (accountId, t) => {
      seen.push([accountId, (await payments.outstanding([accountId], '2026-03-20', t)).get(accountId)!.openMinor]);
    };
    await pay(a, 1000n);
    expect(seen).to.deep.equal([[a, TOTAL - 1000n]]);
    payments.onPaymentRecorded = async () => {
      throw new Error('restore failed');
    };
    expect(((await pay(a, 1000n).catch((e: unknown) => e)) as Error).message).to.equal('restore failed');
    payments.onPaymentRecorded = undefined;
    expect(await count(a)).to.equal(1);
    expect((await owed(a)).openMinor).to.equal(TOTAL - 1000n);
  });

  it('lists the statement with a running balance', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    await pay(a, 10000n);
    const s = await payments.statement(a, '2026-03-20');
    expect(s.lines.map((l) => [l.kind, l.signedMinor, l.balanceMinor])).to.deep.equal([
      ['invoice', TOTAL, TOTAL],
      ['payment', -10000n, TOTAL - 10000n],
    ]);
    expect(s.balance).to.deep.include({ balanceMinor: -75n, creditMinor: 75n, openMinor: 0n });
  });

  it('never over-allocates an invoice when two payments of one account arrive at once', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await account();
      const i = await invoice(a, '2026-02-15');
      const both = await Promise.all([pay(a, TOTAL, { reference: 'first' }), pay(a, TOTAL, { reference: 'second' })]);
      expect(both.map((r) => r.duplicate)).to.deep.equal([false, false]);
      const ps = (await payments.list({ accountId: a })).rows;
      expect(ps.reduce((s, p) => s + p.allocatedMinor, 0n)).to.equal(TOTAL);
      expect(ps.map((p) => p.allocatedMinor).sort()).to.deep.equal([0n, TOTAL]);
      expect(await status(i)).to.equal('paid');
      expect((await payments.balance(a, '2026-03-20')).creditMinor).to.equal(TOTAL);
    }
  });

  it('never over-allocates when two partial payments of one account arrive at once (the second sees what the first took)', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await account();
      const i = await invoice(a, '2026-02-15');
      await Promise.all([pay(a, 6000n), pay(a, 6000n)]);
      const ps = (await payments.list({ accountId: a })).rows;
      expect(ps.map((p) => p.allocatedMinor).sort((x, y) => (x < y ? -1 : 1))).to.deep.equal([TOTAL - 6000n, 6000n]);
      expect(await status(i)).to.equal('paid');
      expect((await payments.balance(a, '2026-03-20')).creditMinor).to.equal(12000n - TOTAL);
    }
  });

  it('records one payment when the same external id arrives twice at once', async () => {
    const a = await account();
    await invoice(a, '2026-02-15');
    const both = await Promise.all([pay(a, 500n, { source: 'stripe', externalId: 'evt_1' }), pay(a, 500n, { source: 'stripe', externalId: 'evt_1' })]);
    expect(both.map((r) => r.duplicate).sort()).to.deep.equal([false, true]);
    expect(both[0]!.paymentId).to.equal(both[1]!.paymentId);
    expect(await count(a)).to.equal(1);
  });

  it('answers for many accounts at once (the batched read dunning uses) exactly as account by account', async () => {
    // Varied states beside those the specs above left: partly paid, credited, credit held, paid, nothing owed.
    const partly = await account();
    await invoice(partly, '2026-02-01');
    await invoice(partly, '2026-03-30');
    await pay(partly, 1234n);
    const credited = await account();
    const wrong = await invoice(credited, '2026-02-10');
    await invoice(credited, '2026-02-20', { corrects: wrong });
    const held = await account();
    await pay(held, 5000n);
    await invoice(held, '2026-03-01');
    const paid = await account();
    await invoice(paid, '2026-02-01');
    await pay(paid, TOTAL);
    const none = await account();
    const [rows] = await plugin.ctx.db.sequelize.query('SELECT id FROM accounts ORDER BY id');
    const ids = [...(rows as Array<{ id: number | string }>).map((r) => Number(r.id)), 999_999];
    const one = new Map<number, unknown>();
    for (const id of ids) {
      const o = (await payments.outstanding([id], '2026-03-20')).get(id);
      if (o) one.set(id, o);
    }
    const batch = await payments.outstandingBatch(ids, '2026-03-20');
    expect(batch.size).to.equal(ids.length - 1);
    expect([...batch.keys()].sort((a, b) => a - b)).to.deep.equal([...one.keys()].sort((a, b) => a - b));
    for (const [id, o] of one) expect(batch.get(id), `account ${id}`).to.deep.equal(o);
    expect(batch.get(held)!.openMinor).to.equal(TOTAL - 5000n);
    expect(batch.get(none)).to.deep.include({ openMinor: 0n, overdueMinor: 0n });
  });
});

