import type { Transaction } from 'sequelize';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { formatMoney } from '../common/money.js';
import type { Database } from '../db/database.js';
import type { Lease, LeaseRepository } from '../jobs/index.js';
import type { DunningRepository } from './dunning.repository.js';
import { decideDunning, localDate, type AccountOutstanding, type DunningDecision, type DunningPolicy, type OpenInvoice, type ReminderDue } from './policy.js';
import type { DunningInvoices, DunningSubscribers, EnforcementCause, EnforcementDesired, PaymentsOutstanding } from './ports.js';
import type { ReminderSender } from './reminder-mailer.js';

export interface DunningDeps {
  db: Pick<Database, 'transaction'>;
  repo: Pick<DunningRepository, 'lock' | 'get' | 'suspendedAccounts' | 'setSuspended' | 'remindedKeys' | 'addReminder' | 'markReminder'>;
  payments: PaymentsOutstanding;
  enforcement: EnforcementDesired;
  subscribers: DunningSubscribers;
  invoices: DunningInvoices;
  audit: Pick<AuditRepository, 'record'>;
  /** null: SMTP is off, reminders are recorded as due but not sent. */
  mailer: ReminderSender | null;
  leases?: Pick<LeaseRepository, 'acquire' | 'prove' | 'renew' | 'release'>;
  leaseTtlMs?: number;
  seller?: () => Promise<string>;
  clock: Clock;
  logger: Logger;
  policy: DunningPolicy;
}

export interface AccountDecision {
  accountId: number;
  name: string;
  decision: DunningDecision;
}

export interface EvaluationResult {
  dryRun: boolean;
  at: Date;
  accounts: number;
  decisions: AccountDecision[];
  suspended: number[];
  restored: number[];
  reminders: { sent: number; unsent: number; failed: number };
}

const CHUNK = 500;
export const DUNNING_LEASE = 'dunning:evaluate';

/** Only decisions that do something are worth listing and acting on. */
const acts = (d: DunningDecision) => d.suspend || d.restore || d.remind.length > 0;

/**
 * evaluateDunning: decides for every account that owes something (or that dunning holds
 * suspended) and acts, each account in its own transaction that first locks the account's
 * dunning row and only then reads what it owes. A payment's restoration takes the same lock
 * (onPaymentRecorded), so whichever comes second sees the other's result.
 */
export class DunningService {
  constructor(private readonly deps: DunningDeps) {}

  private today(now: Date): string {
    return localDate(now, this.deps.policy.timezone);
  }

  /** Candidates: accounts with unpaid invoices, and accounts dunning holds suspended. */
  private async candidates(): Promise<{ ids: number[]; open: Map<number, OpenInvoice[]> }> {
    const [open, suspended] = await Promise.all([this.deps.invoices.openInvoices(), this.deps.repo.suspendedAccounts()]);
    const ids = [...new Set([...open.keys(), ...suspended])].sort((a, b) => a - b);
    return { ids, open };
  }

  private decide(o: AccountOutstanding | undefined, open: OpenInvoice[] | undefined, row: { exempt: boolean; exemptReason: string | null; promiseUntil: string | null; suspended: boolean } | undefined, reminded: Set<string> | undefined, now: Date): DunningDecision {
    const state = { exempt: row?.exempt ?? false, exemptReason: row?.exemptReason ?? null, promiseUntil: row?.promiseUntil ?? null, suspended: row?.suspended ?? false, reminded: reminded ?? new Set<string>() };
    return decideDunning({ outstanding: o ?? null, open, state, policy: this.deps.policy, now });
  }

  /** The accounts dunning holds suspended now (by this evaluation or an earlier one, on any instance). */
  async suspendedAccounts(): Promise<number[]> {
    return this.deps.repo.suspendedAccounts();
  }

  /**
   * Who would be reminded, suspended or restored now, and why (reads only, locks nothing).
   * With `act`, each account whose decision does something is decided again under its lock and
   * acted on.
   */
  async evaluate(opts: { dryRun: boolean; actor: string; lease?: Lease }): Promise<EvaluationResult> {
    const now = this.deps.clock.now();
    const today = this.today(now);
    const { ids, open } = await this.candidates();
    const result: EvaluationResult = { dryRun: opts.dryRun, at: now, accounts: ids.length, decisions: [], suspended: [], restored: [], reminders: { sent: 0, unsent: 0, failed: 0 } };
    let lease = opts.lease;
    let own = false;
    if (!opts.dryRun && !lease && this.deps.leases) {
      lease = (await this.deps.leases.acquire(DUNNING_LEASE, `${opts.actor}:${process.pid}:${now.getTime()}`, this.deps.leaseTtlMs ?? 60_000)) ?? undefined;
      if (!lease) throw new ConflictError('a dunning evaluation is running already (on this or another instance); try again in a minute');
      own = true;
    }
    // Everyone's outstanding in a few queries; each account acted on is decided again under its lock.
    const outstanding = await this.deps.payments.outstandingBatch(ids, today);
    try {
      for (let i = 0; i < ids.length; i += CHUNK) {
        // Renewed per chunk too: a long stretch of accounts with nothing to do proves nothing.
        if (lease && this.deps.leases && i > 0) await this.deps.leases.renew(lease);
        const chunk = ids.slice(i, i + CHUNK);
        const [rows, reminded, profiles] = await Promise.all([
          this.deps.repo.get(chunk),
          this.deps.repo.remindedKeys(chunk),
          this.deps.subscribers.profiles(chunk),
        ]);
        for (const id of chunk) {
          const decision = this.decide(outstanding.get(id), open.get(id), rows.get(id), reminded.get(id), now);
          if (!acts(decision)) continue;
          const name = profiles.get(id)?.name ?? `#${id}`;
          if (opts.dryRun) {
            result.decisions.push({ accountId: id, name, decision });
            continue;
          }
          const acted = await this.actOn(id, open.get(id), opts.actor, now, lease);
          if (!acted) continue;
          result.decisions.push({ accountId: id, name, decision: acted.decision });
          if (acted.decision.suspend) result.suspended.push(id);
          if (acted.decision.restore) result.restored.push(id);
          result.reminders.unsent += acted.unsent;
          await this.sendReminders(id, acted.reminders, profiles.get(id), result);
        }
      }
    } finally {
      if (own && lease) await this.deps.leases!.release(lease).catch(() => undefined);
    }
    if (!opts.dryRun) {
      // The first 1000 ids of each: enough to trace a run; every account's own entry has the rest.
      const summary = { accounts: ids.length, suspended: result.suspended.slice(0, 1000), restored: result.restored.slice(0, 1000), reminders: result.reminders };
      this.deps.logger.info('dunning evaluated', { accounts: ids.length, suspended: result.suspended.length, restored: result.restored.length, reminders: result.reminders });
      await this.deps.audit.record({ actor: opts.actor, action: 'dunning.evaluate', entityType: 'dunning', details: summary });
    }
    return result;
  }

  /**
   * One account, race-safe: lock its row, then read what it owes (inside the transaction, so a
   * payment committed before the lock is seen), decide again and act, all in one transaction.
   */
  private async actOn(accountId: number, open: OpenInvoice[] | undefined, actor: string, now: Date, lease?: Lease): Promise<{ decision: DunningDecision; reminders: Array<ReminderDue & { id: string }>; unsent: number } | null> {
    const today = this.today(now);
    return this.deps.db.transaction(async (t) => {
      const row = await this.deps.repo.lock(accountId, t);
      if (lease && this.deps.leases) await this.deps.leases.prove(lease, t);
      const outstanding = (await this.deps.payments.outstanding([accountId], today, t)).get(accountId);
      const reminded = (await this.deps.repo.remindedKeys([accountId], t)).get(accountId);
      const decision = this.decide(outstanding, open, row, reminded, now);
      if (!acts(decision)) return null;
      const detail = decision.reasons.join('; ');
      const details = { reasons: decision.reasons, overdueMinor: decision.overdueMinor.toString(), currency: decision.currency, daysPastDue: decision.daysPastDue };
      if (decision.suspend) {
        const serviceIds = await this.serviceIds(accountId, today, t);
        await this.setDesired(serviceIds, 'suspended', { kind: 'dunning', detail, actor }, t);
        await this.deps.repo.setSuspended(accountId, true, detail, t, serviceIds);
        await this.deps.audit.record({ actor, action: 'dunning.suspend', entityType: 'account', entityId: accountId, details: { ...details, serviceIds } }, t);
      }
      if (decision.restore) {
        const serviceIds = row.suspendedServices;
        await this.setDesired(serviceIds, 'active', { kind: 'dunning', detail, actor }, t);
        await this.deps.repo.setSuspended(accountId, false, detail, t);
        await this.deps.audit.record({ actor, action: 'dunning.restore', entityType: 'account', entityId: accountId, details: { ...details, serviceIds } }, t);
      }
      const reminders: Array<ReminderDue & { id: string }> = [];
      let unsent = 0;
      const profile = decision.remind.length ? (await this.deps.subscribers.profiles([accountId], t)).get(accountId) : undefined;
      const to = profile?.billingEmail ?? profile?.email ?? null;
      for (const r of decision.remind) {
        const why = !this.deps.mailer ? 'SMTP is off' : !to ? 'the account has no e-mail address' : null;
        const id = await this.deps.repo.addReminder({ accountId, invoiceId: r.invoiceId, offsetDays: r.offsetDays, amountMinor: r.amountMinor, currency: decision.currency || profile?.currency || '', toAddress: to, status: why ? 'unsent' : 'pending', reason: why }, t);
        if (!id) continue;
        await this.deps.audit.record({ actor, action: 'dunning.remind', entityType: 'account', entityId: accountId, details: { invoiceId: r.invoiceId, number: r.number, offsetDays: r.offsetDays, amountMinor: r.amountMinor.toString(), sent: why ? `not sent: ${why}` : 'queued' } }, t);
        if (why) unsent++;
        else reminders.push({ ...r, id });
      }
      return { decision, reminders, unsent };
    });
  }

  /**
   * The account's running services a suspension applies to. Services already suspended (by
   * staff, say) are left as they are and not recorded, so dunning's restoration, which lifts only
   * what dunning suspended, never lifts a suspension staff set.
   */
  private async serviceIds(accountId: number, today: string, t: Transaction): Promise<number[]> {
    const services = (await this.deps.subscribers.services([accountId], t)).get(accountId) ?? [];
    const running = services.filter((s) => s.status !== 'ended' && (s.endDate === null || s.endDate >= today)).map((s) => s.id);
    if (running.length === 0) return [];
    const states = await this.deps.enforcement.stateOf(running, t);
    return running.filter((id) => states.get(id)?.desired !== 'suspended');
  }

  private async setDesired(serviceIds: number[], desired: 'active' | 'suspended', cause: EnforcementCause, t: Transaction): Promise<void> {
    if (serviceIds.length) await this.deps.enforcement.setDesired({ serviceIds, desired, cause }, t);
  }

  /** After the transaction committed: an e-mail is never sent for a decision that rolled back. */
  private async sendReminders(accountId: number, reminders: Array<ReminderDue & { id: string }>, profile: { name: string; email: string | null; billingEmail: string | null; currency: string } | undefined, result: EvaluationResult): Promise<void> {
    const mailer = this.deps.mailer;
    const to = profile?.billingEmail ?? profile?.email ?? null;
    if (!mailer || !to) {
      result.reminders.unsent += reminders.length;
      return;
    }
    const seller = (await this.deps.seller?.().catch(() => null)) ?? 'Your ISP';
    for (const r of reminders) {
      const view = { name: profile!.name, number: r.number, dueDate: r.dueDate, amount: formatMoney(r.amountMinor, profile!.currency), beforeDue: r.offsetDays < 0, daysText: `${r.offsetDays} day${r.offsetDays === 1 ? '' : 's'} past due`, seller };
      try {
        await mailer.send(to, view);
        await this.deps.repo.markReminder(r.id, 'sent', null);
        result.reminders.sent++;
      } catch (err) {
        await this.deps.repo.markReminder(r.id, 'failed', errorMessage(err));
        this.deps.logger.warn('payment reminder not sent', { accountId, invoiceId: r.invoiceId, error: errorMessage(err) });
        result.reminders.failed++;
      }
    }
  }

  /**
   * Payments call this inside the payment's transaction: the same lock as a suspension decision,
   * then what the account owes now (the payment included); a dunning suspension with nothing
   * overdue left is lifted in that transaction.
   */
  async onPaymentRecorded(accountId: number, t: Transaction): Promise<boolean> {
    const row = await this.deps.repo.lock(accountId, t);
    if (!row.suspended) return false;
    const now = this.deps.clock.now();
    const today = this.today(now);
    const outstanding = (await this.deps.payments.outstanding([accountId], today, t)).get(accountId);
    const decision = this.decide(outstanding, undefined, row, undefined, now);
    if (!decision.restore) {
      this.deps.logger.info('payment recorded, the account stays suspended: still overdue', { accountId, overdueMinor: decision.overdueMinor.toString() });
      return false;
    }
    const detail = `payment recorded: ${decision.reasons.join('; ')}`;
    // From the locked row, never from a plain read: inside the payment's transaction a plain read
    // on MariaDB may see a snapshot from before the suspension committed.
    const serviceIds = row.suspendedServices;
    await this.setDesired(serviceIds, 'active', { kind: 'payment', detail, actor: 'system:payment' }, t);
    await this.deps.repo.setSuspended(accountId, false, detail, t);
    await this.deps.audit.record({ actor: 'system:payment', action: 'dunning.restore', entityType: 'account', entityId: accountId, details: { cause: 'payment', reasons: decision.reasons, serviceIds } }, t);
    return true;
  }
}
