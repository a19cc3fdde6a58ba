import type { Transaction } from 'sequelize';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { formatMoney, isKnownCurrency } from '../common/money.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import type { InvoiceRecord, InvoicesRepository } from '../invoicing/index.js';
import type { SubscribersBillingPort } from '../subscribers/index.js';
import { allocateMany } from './allocation.js';
import { openInvoices, summarize, type InvoiceFacts, type Outstanding } from './outstanding.js';
import { PAYMENT_METHODS, type PaymentMethod, type PaymentRecord, type PaymentsRepository, type RefundRecord } from './payments.repository.js';
import { balanceOf, statementLines, type BalanceTotals, type StatementEvent, type StatementLine } from './statement.js';
import type { OutboxPort } from '../webhooks/index.js';

export interface RecordPayment {
  accountId: number;
  amountMinor: bigint;
  currency: string;
  method: PaymentMethod;
  reference: string | null;
  receivedAt: Date;
  source: string;
  externalId: string | null;
  allocateTo?: string;
}

export interface PaymentsDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  payments: PaymentsRepository;
  invoices: Pick<InvoicesRepository, 'list' | 'move'>;
  accounts: Pick<SubscribersBillingPort, 'profiles'>;
  audit: Pick<AuditRepository, 'record'>;
  /** Called in the payment's transaction, after allocation (dunning restores at once). */
  onPaymentRecorded?: (accountId: number, t: Transaction) => Promise<void>;
  /** Webhooks out: payment.received, in the payment's transaction (before dunning's restore, which follows it). */
  outbox?: Pick<OutboxPort, 'enqueue'>;
}

export interface AccountBalance extends BalanceTotals {
  accountId: number;
  currency: string;
  /** Money received and neither allocated nor refunded: it pays the next invoices. */
  creditMinor: bigint;
  openMinor: bigint;
  overdueMinor: bigint;
}

const PAGE = 1000;

function failIf(issues: FieldIssue[]): void {
  if (issues.length) throw new ValidationError(issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);
}

const leftOf = (p: PaymentRecord) => p.amountMinor - p.allocatedMinor - p.refundedMinor;
/** Page size when reading every open invoice at once (outstandingBatch). */
const BATCH_PAGE = 5000;

/** Invoices (not drafts) with what credit notes (issued, not void) and payments took off each. */
function factsOf(docs: readonly InvoiceRecord[], allocated: Map<string, bigint>): InvoiceFacts[] {
  const credited = new Map<string, bigint>();
  for (const d of docs) {
    if (d.type !== 'credit_note' || d.creditedInvoiceId === null || d.status === 'draft' || d.status === 'void') continue;
    credited.set(d.creditedInvoiceId, (credited.get(d.creditedInvoiceId) ?? 0n) + d.totalMinor);
  }
  return docs
    .filter((d) => d.type === 'invoice' && d.status !== 'draft')
    .map((i) => ({ invoiceId: i.id, number: i.number ?? '', status: i.status, dueDate: i.dueDate ?? '', totalMinor: i.totalMinor, creditedMinor: credited.get(i.id) ?? 0n, allocatedMinor: allocated.get(i.id) ?? 0n }));
}

/**
 * Recording payments, allocating them and credit to invoices, refunds, and what accounts owe.
 * Every change of an account's money runs in one transaction holding the account's payment lock.
 */
export class PaymentsService {
  constructor(private readonly deps: PaymentsDeps) {}

  /** Sets the dunning hook once both are built (the composition root wires them in either order). */
  set onPaymentRecorded(hook: PaymentsDeps['onPaymentRecorded']) {
    this.deps.onPaymentRecorded = hook;
  }

  async record(p: RecordPayment, actor: string): Promise<{ paymentId: string; duplicate: boolean }> {
    this.validate(p);
    const { payments, db } = this.deps;
    if (p.externalId !== null) {
      const seen = await payments.byExternal(p.source, p.externalId);
      if (seen) return { paymentId: seen.id, duplicate: true };
    }
    const profile = (await this.deps.accounts.profiles([p.accountId])).get(p.accountId);
    if (!profile) throw new ValidationError(`account ${p.accountId} does not exist`, [{ field: 'accountId', message: `no account with id ${p.accountId}` }]);
    if (profile.currency !== p.currency) {
      throw new ValidationError(`account ${p.accountId} is billed in ${profile.currency}, not ${p.currency}`, [{ field: 'currency', message: `must be the account's currency, ${profile.currency}` }]);
    }
    await payments.ensureLockRow(p.accountId);
    try {
      return await db.transaction(async (t) => {
        await payments.lockAccount(p.accountId, t);
        if (p.externalId !== null) {
          const seen = await payments.byExternal(p.source, p.externalId, t);
          if (seen) return { paymentId: seen.id, duplicate: true };
        }
        const docs = await this.documents(p.accountId, t);
        if (p.allocateTo !== undefined) {
          const target = docs.find((d) => d.id === p.allocateTo && d.type === 'invoice');
          const open = (await this.facts(docs, t)).find((f) => f.invoiceId === p.allocateTo);
          if (!target || !['issued', 'sent'].includes(target.status) || !open || open.totalMinor - open.creditedMinor - open.allocatedMinor <= 0n) {
            throw new ValidationError(`invoice ${p.allocateTo} is not an open invoice of account ${p.accountId}`, [{ field: 'allocateTo', message: 'must be an open (issued or sent, unpaid) invoice of the account' }]);
          }
        }
        const paymentId = await payments.insert({ ...p, createdBy: actor }, t);
        const allocated = await this.allocate(p.accountId, docs, { paymentId, allocateTo: p.allocateTo, at: p.receivedAt }, t);
        await this.deps.audit.record(
          { actor, action: 'payment.recorded', entityType: 'payment', entityId: paymentId, details: { accountId: p.accountId, amountMinor: p.amountMinor.toString(), currency: p.currency, method: p.method, reference: p.reference, source: p.source, externalId: p.externalId, allocations: allocated } },
          t,
        );
        await this.deps.outbox?.enqueue(
          'payment.received',
          { paymentId, accountId: p.accountId, amountMinor: p.amountMinor.toString(), currency: p.currency, method: p.method, reference: p.reference, receivedAt: p.receivedAt.toISOString(), source: p.source, externalId: p.externalId, allocations: allocated },
          t,
        );
        await this.deps.onPaymentRecorded?.(p.accountId, t);
        this.deps.logger.info('payment recorded', { paymentId, accountId: p.accountId, amountMinor: p.amountMinor.toString(), currency: p.currency, allocations: allocated.length });
        return { paymentId, duplicate: false };
        // A conflict rolled it back whole (the external id is looked up again inside): run it again.
      }, { retryConflicts: true });
    } catch (err) {
      // Two requests with one (source, externalId) for different accounts: the unique index decides.
      if (p.externalId !== null && isDuplicateKey(err)) {
        const seen = await payments.byExternal(p.source, p.externalId);
        if (seen) return { paymentId: seen.id, duplicate: true };
      }
      throw err;
    }
  }

  /**
   * Takes the account's payment lock in `t` (held until it ends): the lock every payment,
   * allocation and refund of the account takes first. Dunning takes it before deciding to
   * suspend, so a payment and an evaluation of one account run one after the other, never
   * interleaved. It must be the first read of `t` (see PaymentsRepository.lockAccount).
   */
  async lockAccount(accountId: number, t: Transaction): Promise<void> {
    await this.deps.payments.ensureLockRow(accountId);
    await this.deps.payments.lockAccount(accountId, t);
  }

  /** Accounts that hold credit, in id order (the credit job walks them). */
  async accountsWithCredit(afterId: number, limit: number): Promise<number[]> {
    return this.deps.payments.accountsWithCredit(afterId, limit);
  }

  /** Which of these accounts hold credit (money received and not allocated or refunded). */
  async holdingCredit(accountIds: number[]): Promise<number[]> {
    const credit = new Map<number, bigint>();
    for (const p of await this.deps.payments.ofAccounts(accountIds)) credit.set(p.accountId, (credit.get(p.accountId) ?? 0n) + leftOf(p));
    return [...credit].filter(([, c]) => c > 0n).map(([id]) => id);
  }

  /** Spreads the account's credit over its open invoices (after an invoice is issued). */
  async applyCredit(accountId: number, actor: string): Promise<Array<{ invoiceId: string; amountMinor: string }>> {
    // Most accounts with credit have nothing open: a read without the lock says so cheaply.
    if (openInvoices(await this.facts(await this.documents(accountId))).length === 0) return [];
    await this.deps.payments.ensureLockRow(accountId);
    return this.deps.db.transaction(async (t) => {
      await this.deps.payments.lockAccount(accountId, t);
      const allocated = await this.allocate(accountId, await this.documents(accountId, t), { at: this.deps.clock.now() }, t);
      if (allocated.length) await this.deps.audit.record({ actor, action: 'payment.credit_applied', entityType: 'account', entityId: accountId, details: { allocations: allocated } }, t);
      return allocated;
    });
  }

  /** Gives back part or all of a payment's unallocated money. */
  async refund(paymentId: string, amountMinor: bigint, reason: string, actor: string): Promise<void> {
    this.checkRefund(amountMinor, reason);
    const { payments } = this.deps;
    const first = await payments.get(paymentId);
    await payments.ensureLockRow(first.accountId);
    await this.deps.db.transaction(async (t) => {
      await payments.lockAccount(first.accountId, t);
      const p = await payments.get(paymentId, t);
      if (amountMinor > leftOf(p)) {
        const left = formatMoney(leftOf(p), p.currency);
        throw new ConflictError(`payment ${paymentId} has ${left} not allocated to invoices; only that can be refunded`, [{ field: 'amount', message: `must be at most ${left} (the rest pays invoices)` }]);
      }
      await this.refundFrom(p, amountMinor, 'payment', reason, actor, t);
    });
  }

  /** Gives back part or all of the account's credit, newest payments first. */
  async refundCredit(accountId: number, amountMinor: bigint, reason: string, actor: string): Promise<void> {
    this.checkRefund(amountMinor, reason);
    const { payments } = this.deps;
    await payments.ensureLockRow(accountId);
    await this.deps.db.transaction(async (t) => {
      await payments.lockAccount(accountId, t);
      const holding = (await payments.ofAccount(accountId, t)).filter((p) => leftOf(p) > 0n).reverse();
      const credit = holding.reduce((s, p) => s + leftOf(p), 0n);
      const held = formatMoney(credit, holding[0]?.currency ?? 'EUR');
      if (amountMinor > credit) throw new ConflictError(`account ${accountId} holds ${credit === 0n ? 'no credit' : `${held} of credit`}`, [{ field: 'amount', message: credit === 0n ? 'there is no credit to refund' : `must be at most the credit, ${held}` }]);
      let left = amountMinor;
      for (const p of holding) {
        if (left === 0n) break;
        const take = leftOf(p) < left ? leftOf(p) : left;
        await this.refundFrom(p, take, 'credit', reason, actor, t);
        left -= take;
      }
    });
  }

  async outstanding(accountIds: number[], asOfDate: string, t?: Transaction): Promise<Map<number, Outstanding>> {
    const profiles = await this.deps.accounts.profiles(accountIds, t);
    const out = new Map<number, Outstanding>();
    for (const id of accountIds) {
      const profile = profiles.get(id);
      if (!profile) continue;
      out.set(id, summarize(profile.currency, await this.facts(await this.documents(id, t), t), asOfDate, await this.creditOf(id, t)));
    }
    return out;
  }

  /**
   * `outstanding` for many accounts in a few queries (dunning's evaluation of every account): the
   * open invoices and the credit notes are read in pages for all accounts at once, allocations and
   * credit per 400 ids. The same rules as `outstanding` (summarize); the payment path keeps the
   * per-account one, read in its own transaction.
   */
  async outstandingBatch(accountIds: number[], asOfDate: string, t?: Transaction): Promise<Map<number, Outstanding>> {
    const wanted = new Set(accountIds);
    const profiles = await this.deps.accounts.profiles(accountIds, t);
    const pages = async (filter: { type: 'invoice' | 'credit_note'; status?: 'issued' | 'sent' }) => {
      const out: InvoiceRecord[] = [];
      for (let offset = 0; ; offset += BATCH_PAGE) {
        const page = await this.deps.invoices.list(filter, { limit: BATCH_PAGE, offset }, t);
        out.push(...page.rows.filter((r) => wanted.has(r.accountId)));
        if (page.rows.length < BATCH_PAGE) return out;
      }
    };
    const [issued, sent, creditNotes] = await Promise.all([pages({ type: 'invoice', status: 'issued' }), pages({ type: 'invoice', status: 'sent' }), pages({ type: 'credit_note' })]);
    const docsOf = new Map<number, InvoiceRecord[]>();
    for (const d of [...issued, ...sent, ...creditNotes]) docsOf.set(d.accountId, [...(docsOf.get(d.accountId) ?? []), d]);
    const invoices = [...issued, ...sent];
    const allocated = await this.deps.payments.allocatedTo(invoices.map((i) => i.id), t);
    const credit = new Map<number, bigint>();
    for (const p of await this.deps.payments.ofAccounts(accountIds, t)) credit.set(p.accountId, (credit.get(p.accountId) ?? 0n) + leftOf(p));
    const out = new Map<number, Outstanding>();
    for (const id of accountIds) {
      const profile = profiles.get(id);
      if (!profile) continue;
      out.set(id, summarize(profile.currency, factsOf(docsOf.get(id) ?? [], allocated), asOfDate, credit.get(id) ?? 0n));
    }
    return out;
  }

  async list(filter: { accountId?: number }, page?: { limit: number; offset: number }) {
    return this.deps.payments.list(filter, page);
  }

  async get(id: string): Promise<PaymentRecord> {
    return this.deps.payments.get(id);
  }

  async balance(accountId: number, asOfDate: string): Promise<AccountBalance> {
    const { currency, events, docs, paid } = await this.history(accountId);
    const credit = paid.reduce((s, p) => s + leftOf(p), 0n);
    const open = summarize(currency, await this.facts(docs), asOfDate, credit);
    return { accountId, currency, ...balanceOf(events), creditMinor: credit, openMinor: open.openMinor, overdueMinor: open.overdueMinor };
  }

  async statement(accountId: number, asOfDate: string): Promise<{ balance: AccountBalance; lines: StatementLine[]; refunds: RefundRecord[] }> {
    const { events, refunds } = await this.history(accountId);
    return { balance: await this.balance(accountId, asOfDate), lines: statementLines(events), refunds };
  }

  private async history(accountId: number) {
    const profile = (await this.deps.accounts.profiles([accountId])).get(accountId);
    if (!profile) throw new NotFoundError(`no account with id ${accountId}`);
    const docs = (await this.documents(accountId)).filter((d) => d.status !== 'draft');
    const paid = await this.deps.payments.ofAccount(accountId);
    const refunds = await this.deps.payments.refundsOf(accountId);
    const events: StatementEvent[] = [
      ...docs.map((d) => ({ kind: d.type, atMs: (d.issuedAt ?? d.createdAt).getTime(), id: d.id, reference: d.number ?? '', amountMinor: d.totalMinor })),
      ...paid.map((p) => ({ kind: 'payment' as const, atMs: p.receivedAt.getTime(), id: p.id, reference: [p.method, p.reference].filter(Boolean).join(' '), amountMinor: p.amountMinor })),
      ...refunds.map((r) => ({ kind: 'refund' as const, atMs: r.refundedAt.getTime(), id: r.id, reference: r.reason, amountMinor: r.amountMinor })),
    ];
    return { currency: profile.currency, events, docs, paid, refunds };
  }

  /**
   * Allocates the account's credit (older payments first) and then the new payment, and moves
   * every invoice it leaves with nothing outstanding to paid, in `t`.
   */
  private async allocate(accountId: number, docs: InvoiceRecord[], next: { paymentId?: string; allocateTo?: string; at: Date }, t: Transaction) {
    const { payments } = this.deps;
    const sources = (await payments.ofAccount(accountId, t))
      .filter((p) => leftOf(p) > 0n)
      .sort((a, b) => (a.id === next.paymentId ? 1 : b.id === next.paymentId ? -1 : 0))
      .map((p) => ({ sourceId: p.id, amountMinor: leftOf(p), allocateTo: p.id === next.paymentId ? next.allocateTo : undefined }));
    const open = openInvoices(await this.facts(docs, t));
    const r = allocateMany(sources, open);
    await payments.insertAllocations(accountId, r.allocations.map((a) => ({ paymentId: a.sourceId, invoiceId: a.invoiceId, amountMinor: a.amountMinor })), t);
    for (const invoiceId of new Set(r.allocations.map((a) => a.invoiceId))) {
      if (r.outstanding.get(invoiceId) === 0n) await this.deps.invoices.move(invoiceId, 'paid', { at: next.at }, t);
    }
    return r.allocations.map((a) => ({ paymentId: a.sourceId, invoiceId: a.invoiceId, amountMinor: a.amountMinor.toString() }));
  }

  private async refundFrom(p: PaymentRecord, amountMinor: bigint, kind: 'payment' | 'credit', reason: string, actor: string, t: Transaction): Promise<void> {
    const { payments } = this.deps;
    await payments.insertRefund({ paymentId: p.id, accountId: p.accountId, amountMinor, kind, reason, refundedAt: this.deps.clock.now(), createdBy: actor }, t);
    await payments.setStatus(p.id, p.refundedMinor + amountMinor === p.amountMinor ? 'refunded' : 'part_refunded', t);
    await this.deps.audit.record({ actor, action: 'payment.refunded', entityType: 'payment', entityId: p.id, details: { accountId: p.accountId, amountMinor: amountMinor.toString(), currency: p.currency, kind, reason } }, t);
  }

  private async creditOf(accountId: number, t?: Transaction): Promise<bigint> {
    return (await this.deps.payments.ofAccount(accountId, t)).reduce((s, p) => s + leftOf(p), 0n);
  }

  /** Every document of the account (invoicing's port, paged). */
  private async documents(accountId: number, t?: Transaction): Promise<InvoiceRecord[]> {
    const out: InvoiceRecord[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.deps.invoices.list({ accountId }, { limit: PAGE, offset }, t);
      out.push(...page.rows);
      if (page.rows.length < PAGE) return out;
    }
  }

  /** The account's invoices with what credit notes and payments took off each. */
  private async facts(docs: InvoiceRecord[], t?: Transaction): Promise<InvoiceFacts[]> {
    const invoices = docs.filter((d) => d.type === 'invoice' && d.status !== 'draft');
    return factsOf(docs, await this.deps.payments.allocatedTo(invoices.map((i) => i.id), t));
  }

  private validate(p: RecordPayment): void {
    const issues: FieldIssue[] = [];
    if (!Number.isSafeInteger(p.accountId) || p.accountId < 1) issues.push({ field: 'accountId', message: 'must be a positive whole number' });
    if (typeof p.amountMinor !== 'bigint' || p.amountMinor <= 0n) issues.push({ field: 'amountMinor', message: 'must be more than zero' });
    if (typeof p.currency !== 'string' || !isKnownCurrency(p.currency)) issues.push({ field: 'currency', message: 'must be an ISO 4217 code such as EUR' });
    if (!(PAYMENT_METHODS as readonly string[]).includes(p.method)) issues.push({ field: 'method', message: `must be one of ${PAYMENT_METHODS.join(', ')}` });
    if (p.reference !== null && (typeof p.reference !== 'string' || p.reference.length > 200)) issues.push({ field: 'reference', message: 'must be text of at most 200 characters' });
    if (!(p.receivedAt instanceof Date) || Number.isNaN(p.receivedAt.getTime())) issues.push({ field: 'receivedAt', message: 'must be a date and time' });
    if (typeof p.source !== 'string' || p.source.length < 1 || p.source.length > 60) issues.push({ field: 'source', message: 'must be 1 to 60 characters' });
    if (p.externalId !== null && (typeof p.externalId !== 'string' || p.externalId.length < 1 || p.externalId.length > 200)) issues.push({ field: 'externalId', message: 'must be 1 to 200 characters, or null' });
    if (p.allocateTo !== undefined && !/^[1-9]\d{0,17}$/.test(String(p.allocateTo))) issues.push({ field: 'allocateTo', message: 'must be an invoice id' });
    failIf(issues);
  }

  private checkRefund(amountMinor: bigint, reason: string): void {
    const issues: FieldIssue[] = [];
    if (typeof amountMinor !== 'bigint' || amountMinor <= 0n) issues.push({ field: 'amount', message: 'must be more than zero' });
    if (typeof reason !== 'string' || !reason.trim() || reason.length > 300) issues.push({ field: 'reason', message: 'say why, in at most 300 characters' });
    failIf(issues);
  }
}
