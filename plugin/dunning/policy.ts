import { DateTime } from 'luxon';
import { decimal, toMinor } from '../common/money.js';

/**
 * The dunning decision (pure: time is an argument). From an account's outstanding invoices, its
 * exemption and promise, and the policy, it says which reminders are due, whether to suspend and
 * whether to lift a suspension dunning made, and why. Only issued, unpaid, overdue invoices count
 * toward a suspension: payments' `outstanding` lists exactly those (an invoice still open after
 * its due date), and an invoice within the grace period is not overdue yet.
 */

export interface OpenInvoice {
  invoiceId: string;
  number: string;
  /** 'YYYY-MM-DD', local. */
  dueDate: string;
  outstandingMinor: bigint;
}

/** The shape of payments' `outstanding` for one account. */
export interface AccountOutstanding {
  currency: string;
  openMinor: bigint;
  overdueMinor: bigint;
  oldestDueDate: string | null;
  overdueInvoices: OpenInvoice[];
}

export interface DunningPolicy {
  timezone: string;
  reminders: readonly number[];
  graceDays: number;
  suspendAfterDays: number;
  /** Per currency, decimal text in major units. */
  minimumOverdue: Readonly<Record<string, string>>;
  window: { weekdays: readonly number[]; fromHour: number; toHour: number; holidays: readonly string[] };
}

export interface AccountDunningState {
  exempt: boolean;
  exemptReason: string | null;
  /** 'YYYY-MM-DD': the customer promised to pay by then (inclusive). */
  promiseUntil: string | null;
  /** Dunning suspended this account and has not restored it. */
  suspended: boolean;
  /** `${invoiceId}:${offset}` of reminders already recorded. */
  reminded: ReadonlySet<string>;
}

export interface ReminderDue {
  invoiceId: string;
  number: string;
  dueDate: string;
  offsetDays: number;
  amountMinor: bigint;
}

export interface DunningDecision {
  remind: ReminderDue[];
  suspend: boolean;
  restore: boolean;
  reasons: string[];
  /** What counts toward a suspension: open past the grace period. */
  overdueMinor: bigint;
  currency: string;
  /** Days the oldest counted invoice is past its due date (0 when none). */
  daysPastDue: number;
}

export function localDate(now: Date, timezone: string): string {
  return DateTime.fromJSDate(now, { zone: timezone }).toISODate()!;
}

export function daysBetween(from: string, to: string): number {
  return Math.round(DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days);
}

/** Why a suspension may not happen at `now` (null: it may). */
export function outsideWindow(now: Date, policy: Pick<DunningPolicy, 'timezone' | 'window'>): string | null {
  const local = DateTime.fromJSDate(now, { zone: policy.timezone });
  const w = policy.window;
  if (w.holidays.includes(local.toISODate()!)) return `${local.toISODate()} is a listed holiday`;
  if (!w.weekdays.includes(local.weekday)) return `${local.weekdayLong} is not a suspension day`;
  if (local.hour < w.fromHour || local.hour >= w.toHour) return `${local.toFormat('HH:mm')} is outside suspension hours ${w.fromHour}:00-${w.toHour}:00`;
  return null;
}

export function minimumMinor(policy: Pick<DunningPolicy, 'minimumOverdue'>, currency: string): bigint {
  const text = policy.minimumOverdue[currency];
  return text === undefined ? 0n : toMinor(decimal(text), currency, 'up');
}

/** Invoices open on `today` whose latest reached reminder offset was not recorded yet (no catching up on missed ones). */
function dueReminders(open: OpenInvoice[], today: string, policy: DunningPolicy, state: AccountDunningState): ReminderDue[] {
  const offsets = [...new Set(policy.reminders)].sort((a, b) => a - b);
  const out: ReminderDue[] = [];
  for (const inv of open) {
    if (inv.outstandingMinor <= 0n) continue;
    const age = daysBetween(inv.dueDate, today);
    const reached = offsets.filter((o) => o <= age);
    const latest = reached[reached.length - 1];
    if (latest === undefined || state.reminded.has(`${inv.invoiceId}:${latest}`)) continue;
    out.push({ invoiceId: inv.invoiceId, number: inv.number, dueDate: inv.dueDate, offsetDays: latest, amountMinor: inv.outstandingMinor });
  }
  return out;
}

/**
 * `open` are the account's open invoices (overdue and not yet due; reminders before the due date
 * need the latter); `outstanding` is payments' answer for the account (null: it owes nothing).
 */
export function decideDunning(input: {
  outstanding: AccountOutstanding | null;
  open?: OpenInvoice[];
  state: AccountDunningState;
  policy: DunningPolicy;
  now: Date;
}): DunningDecision {
  const { state, policy, now } = input;
  const today = localDate(now, policy.timezone);
  const currency = input.outstanding?.currency ?? '';
  const counted = (input.outstanding?.overdueInvoices ?? []).filter((i) => i.outstandingMinor > 0n && daysBetween(i.dueDate, today) > policy.graceDays);
  const overdueMinor = counted.reduce((s, i) => s + i.outstandingMinor, 0n);
  const daysPastDue = counted.reduce((m, i) => Math.max(m, daysBetween(i.dueDate, today)), 0);
  const promised = state.promiseUntil !== null && state.promiseUntil >= today;
  const reasons: string[] = [];

  const byId = new Map<string, OpenInvoice>();
  for (const i of [...(input.open ?? []), ...(input.outstanding?.overdueInvoices ?? [])]) byId.set(i.invoiceId, i);
  let remind: ReminderDue[] = [];
  if (state.exempt) reasons.push(`exempt: ${state.exemptReason ?? 'no reason given'}`);
  else if (promised) reasons.push(`promised to pay by ${state.promiseUntil}`);
  else remind = dueReminders([...byId.values()], today, policy, state);
  for (const r of remind) reasons.push(`reminder for ${r.number} (${r.offsetDays >= 0 ? `${r.offsetDays} days after` : `${-r.offsetDays} days before`} its due date ${r.dueDate})`);

  if (overdueMinor === 0n) {
    if (state.suspended) reasons.push('nothing overdue remains: restore');
    return { remind, suspend: false, restore: state.suspended, reasons, overdueMinor, currency, daysPastDue };
  }
  if (state.suspended) {
    // A suspension dunning made is lifted by an exemption or a promise as by a payment.
    const lift = state.exempt || promised;
    reasons.push(lift ? 'suspended by dunning, now exempt or promised: restore' : 'already suspended by dunning');
    return { remind, suspend: false, restore: lift, reasons, overdueMinor, currency, daysPastDue };
  }
  const minimum = minimumMinor(policy, currency);
  const blockers: string[] = [];
  if (daysPastDue < policy.suspendAfterDays) blockers.push(`overdue ${daysPastDue} days, suspension after ${policy.suspendAfterDays}`);
  if (overdueMinor < minimum) blockers.push(`overdue amount below the minimum for ${currency}`);
  if (state.exempt || promised) blockers.push('no suspension while exempt or promised');
  const closed = outsideWindow(now, policy);
  if (closed) blockers.push(closed);
  if (blockers.length === 0) reasons.push(`overdue ${daysPastDue} days (${counted.map((i) => i.number).join(', ')}): suspend`);
  else reasons.push(...blockers.map((b) => `not suspended: ${b}`));
  return { remind, suspend: blockers.length === 0, restore: false, reasons, overdueMinor, currency, daysPastDue };
}
