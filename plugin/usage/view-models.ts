import { DateTime } from 'luxon';
import { formatBytes } from '../common/bytes.js';
import type { DayRow, HourRow } from './local-time.js';
import type { LiveSession, TopUser, UnassignedLogin } from './queries.js';

/** Finished view models for the usage pages and the JSON API (pure). */
export function localTime(at: Date | number, timezone: string): string {
  return DateTime.fromMillis(new Date(at).getTime(), { zone: timezone }).toFormat('yyyy-MM-dd HH:mm');
}

export function topUsersView(rows: readonly TopUser[]) {
  return rows.map((r, i) => ({
    rank: i + 1,
    login: r.login,
    account: r.accountName ?? (r.serviceId === null ? '(unassigned)' : ''),
    download: formatBytes(r.download),
    upload: formatBytes(r.upload),
    total: formatBytes(r.download + r.upload),
  }));
}

export function liveByRouterView(rows: readonly LiveSession[], timezone: string, nowMs: number) {
  const routers = new Map<string, ReturnType<typeof liveRow>[]>();
  for (const r of rows) {
    const key = `${r.sourceName} (${r.source})`;
    routers.set(key, [...(routers.get(key) ?? []), liveRow(r, timezone, nowMs)]);
  }
  return [...routers.entries()].map(([router, sessions]) => ({ router, sessions }));
}

function liveRow(r: LiveSession, timezone: string, nowMs: number) {
  return {
    login: r.login,
    sessionId: r.sessionId,
    framedIp: r.framedIp ?? '',
    started: r.sessionStart ? localTime(r.sessionStart, timezone) : '',
    lastSeen: `${Math.max(0, Math.round((nowMs - r.lastObservedAt.getTime()) / 60_000))} min ago`,
    download: formatBytes(r.download),
    upload: formatBytes(r.upload),
  };
}

export function unassignedView(rows: readonly UnassignedLogin[], timezone: string) {
  return rows.map((r) => ({
    login: r.login,
    from: localTime(r.firstHour, timezone),
    to: localTime(r.lastHour.getTime() + 3_600_000, timezone),
    hours: r.hours,
    download: formatBytes(r.download),
    upload: formatBytes(r.upload),
  }));
}

/**
 * What a page says when its list stops at `limit`: `fetched` is how many rows the query gave
 * when asked for limit + 1, `total` the count of all of them (null when not counted). The count
 * runs apart from the list, so it may lag; then the note says only that more exist.
 */
export function truncationNote(limit: number, fetched: number, total: number | null): string | null {
  if (fetched <= limit) return null;
  const n = limit.toLocaleString('en-US');
  if (total !== null && total > limit) return `Showing the first ${n} of ${total.toLocaleString('en-US')}.`;
  return `Showing the first ${n}; more exist.`;
}

/** JSON shape of usage: bytes as decimal strings (they exceed 2^53). */
export function hourJson(h: HourRow) {
  return { hourStart: new Date(h.hourMs).toISOString(), download: h.download.toString(), upload: h.upload.toString() };
}

export function dayJson(d: DayRow) {
  return { date: d.date, hours: d.hours, download: d.download.toString(), upload: d.upload.toString() };
}
