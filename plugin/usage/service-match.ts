import { DateTime } from 'luxon';

/**
 * Which service a login's usage belongs to (pure): the one rule every writer of usage_hourly's
 * service goes through (plugin/usage/assignment.ts).
 *
 * A service holds its login over the local days start_date..end_date (inclusive, ISP time zone),
 * as instants [local midnight of start_date, local midnight after end_date). Where the spans of
 * several services of one login cover an instant t (a handover on one day, or bad data), t
 * belongs to the service created last among those that already existed at t; usage from before
 * any of them existed goes to the first created. So a service never takes usage away from
 * another service for a time before it was created (a login ended and handed to another account
 * the same day splits that day at the new service's creation), while a new service still takes
 * the unassigned usage of its dates from before its creation. Usage is attributed at the start
 * of its 15-minute bucket.
 */
export interface ServiceSpan {
  id: number;
  login: string;
  startDate: string;
  endDate: string | null;
  createdAtMs: number;
}

export interface HeldSpan {
  id: number;
  fromMs: number;
  toMs: number;
  createdAtMs: number;
}

/** A login's spans as instants, in creation order (the order ownerAt folds them in). */
export function heldSpans(spans: readonly ServiceSpan[], timezone: string, midnights = new Map<string, number>()): HeldSpan[] {
  // Many services share a start date; luxon is the slow part of resolving them.
  const midnight = (date: string, days: number) => {
    const key = `${date}+${days}`;
    let ms = midnights.get(key);
    if (ms === undefined) midnights.set(key, (ms = DateTime.fromISO(date, { zone: timezone }).startOf('day').plus({ days }).toMillis()));
    return ms;
  };
  return spans
    .map((s) => ({
      id: s.id,
      fromMs: midnight(s.startDate, 0),
      toMs: s.endDate === null ? Infinity : midnight(s.endDate, 1),
      createdAtMs: s.createdAtMs,
    }))
    .sort((a, b) => a.createdAtMs - b.createdAtMs || a.id - b.id);
}

/** The service holding the login at instant `ms`, or null (unassigned). */
export function ownerAt(held: readonly HeldSpan[], ms: number): number | null {
  let owner: number | null = null;
  for (const s of held) {
    if (ms < s.fromMs || ms >= s.toMs) continue;
    if (owner === null || ms >= s.createdAtMs) owner = s.id;
  }
  return owner;
}

/** Groups spans by login and resolves them once (the rollup asks for many logins at a time). */
export function heldByLogin(spans: readonly ServiceSpan[], timezone: string): Map<string, HeldSpan[]> {
  const byLogin = new Map<string, ServiceSpan[]>();
  for (const s of spans) {
    const list = byLogin.get(s.login);
    if (list) list.push(s);
    else byLogin.set(s.login, [s]);
  }
  const midnights = new Map<string, number>();
  return new Map([...byLogin].map(([login, list]) => [login, heldSpans(list, timezone, midnights)]));
}
