import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { agingRows, type AgingRow } from './aging.js';
import type { DunningAccountRow, DunningRepository, NoteRow } from './dunning.repository.js';
import { daysBetween, localDate, type AccountOutstanding } from './policy.js';
import type { DunningInvoices, DunningSubscribers, PaymentsOutstanding } from './ports.js';

export interface FollowUpRow {
  accountId: number;
  name: string;
  email: string | null;
  currency: string;
  overdueMinor: bigint;
  oldestDueDate: string | null;
  daysPastDue: number;
  invoices: string[];
  exempt: boolean;
  exemptReason: string | null;
  promiseUntil: string | null;
  promiseNote: string | null;
  promiseBroken: boolean;
  suspended: boolean;
  notes: NoteRow[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What staff do with overdue accounts: the call list, notes, promises, exemptions, the aging report. */
export class FollowUpService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'transaction'>;
      repo: Pick<DunningRepository, 'lock' | 'get' | 'notes' | 'addNote' | 'setExemption' | 'setPromise'>;
      payments: PaymentsOutstanding;
      subscribers: DunningSubscribers;
      invoices: DunningInvoices;
      audit: Pick<AuditRepository, 'record'>;
      clock: Clock;
      timezone: string;
    },
  ) {}

  private today(): string {
    return localDate(this.deps.clock.now(), this.deps.timezone);
  }

  private async outstandingAll(): Promise<Map<number, AccountOutstanding>> {
    const ids = [...(await this.deps.invoices.openInvoices()).keys()].sort((a, b) => a - b);
    const out = new Map<number, AccountOutstanding>();
    for (const [k, v] of await this.deps.payments.outstandingBatch(ids, this.today())) out.set(k, v);
    return out;
  }

  /** Overdue accounts to call, oldest debt first, with their notes and promises. */
  async list(): Promise<FollowUpRow[]> {
    const today = this.today();
    const owed = [...(await this.outstandingAll())].filter(([, o]) => o.overdueMinor > 0n);
    const ids = owed.map(([id]) => id);
    const [profiles, rows, notes] = await Promise.all([this.deps.subscribers.profiles(ids), this.deps.repo.get(ids), this.deps.repo.notes(ids)]);
    return owed
      .map(([accountId, o]) => {
        const p = profiles.get(accountId);
        const r: Partial<DunningAccountRow> = rows.get(accountId) ?? {};
        return {
          accountId,
          name: p?.name ?? `#${accountId}`,
          email: p?.billingEmail ?? p?.email ?? null,
          currency: o.currency,
          overdueMinor: o.overdueMinor,
          oldestDueDate: o.oldestDueDate,
          daysPastDue: o.oldestDueDate ? daysBetween(o.oldestDueDate, today) : 0,
          invoices: o.overdueInvoices.map((i) => i.number),
          exempt: r.exempt ?? false,
          exemptReason: r.exemptReason ?? null,
          promiseUntil: r.promiseUntil ?? null,
          promiseNote: r.promiseNote ?? null,
          promiseBroken: !!r.promiseUntil && r.promiseUntil < today,
          suspended: r.suspended ?? false,
          notes: notes.get(accountId) ?? [],
        };
      })
      .sort((a, b) => b.daysPastDue - a.daysPastDue || a.accountId - b.accountId);
  }

  async aging(): Promise<{ today: string; rows: AgingRow[] }> {
    const today = this.today();
    const owed = await this.outstandingAll();
    const profiles = await this.deps.subscribers.profiles([...owed.keys()]);
    return { today, rows: agingRows(owed, new Map([...profiles].map(([id, p]) => [id, p.name])), today) };
  }

  private async requireAccount(accountId: number): Promise<void> {
    if (!Number.isSafeInteger(accountId) || accountId <= 0 || !(await this.deps.subscribers.profiles([accountId])).has(accountId)) throw new NotFoundError(`no account with id ${accountId}`);
  }

  async addNote(accountId: number, note: string, actor: string): Promise<void> {
    const text = note.trim();
    if (!text || text.length > 2000) throw new ValidationError('the note is missing or too long', [{ field: 'note', message: 'write 1 to 2000 characters' }]);
    await this.requireAccount(accountId);
    await this.deps.db.transaction(async (t) => {
      await this.deps.repo.addNote(accountId, text, actor, t);
      await this.deps.audit.record({ actor, action: 'dunning.note', entityType: 'account', entityId: accountId, details: { note: text } }, t);
    });
  }

  /** `until` null withdraws the promise. The next evaluation reads it under the account's lock. */
  async setPromise(accountId: number, until: string | null, note: string | null, actor: string): Promise<void> {
    const issues: FieldIssue[] = [];
    if (until !== null && (!DATE.test(until) || Number.isNaN(Date.parse(`${until}T00:00:00Z`)))) issues.push({ field: 'until', message: 'must be a date YYYY-MM-DD' });
    else if (until !== null && until < this.today()) issues.push({ field: 'until', message: `must be today (${this.today()}) or later` });
    if (note !== null && note.length > 500) issues.push({ field: 'note', message: 'at most 500 characters' });
    if (issues.length) throw new ValidationError('the promise to pay is not valid', issues);
    await this.requireAccount(accountId);
    await this.deps.db.transaction(async (t) => {
      await this.deps.repo.lock(accountId, t);
      await this.deps.repo.setPromise(accountId, until, note?.trim() || null, t);
      await this.deps.audit.record({ actor, action: until ? 'dunning.promise' : 'dunning.promise_withdrawn', entityType: 'account', entityId: accountId, details: { until, note } }, t);
    });
  }

  async setExemption(accountId: number, exempt: boolean, reason: string | null, actor: string): Promise<void> {
    const why = reason?.trim() ?? '';
    if (exempt && (!why || why.length > 500)) throw new ValidationError('an exemption needs a reason', [{ field: 'reason', message: 'say why (1 to 500 characters)' }]);
    await this.requireAccount(accountId);
    await this.deps.db.transaction(async (t) => {
      await this.deps.repo.lock(accountId, t);
      await this.deps.repo.setExemption(accountId, exempt, exempt ? why : null, t);
      await this.deps.audit.record({ actor, action: exempt ? 'dunning.exempt' : 'dunning.exemption_lifted', entityType: 'account', entityId: accountId, details: { reason: exempt ? why : null } }, t);
    });
  }
}
