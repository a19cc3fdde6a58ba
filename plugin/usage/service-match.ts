import { localDateOf } from './local-time.js';

/**
 * Which service a login's usage belongs to (pure). A service is live on the local dates
 * start_date..end_date (inclusive, ISP time zone); an hour belongs to the service live on the
 * local date the hour starts in. Should two services of the login overlap (bad data), the one
 * that started last wins, then the higher id, so the choice is deterministic.
 */
export interface ServiceSpan {
  id: number;
  login: string;
  startDate: string;
  endDate: string | null;
}

export function serviceForDate(spans: readonly ServiceSpan[], date: string): ServiceSpan | null {
  let best: ServiceSpan | null = null;
  for (const s of spans) {
    if (s.startDate > date || (s.endDate !== null && s.endDate < date)) continue;
    if (!best || s.startDate > best.startDate || (s.startDate === best.startDate && s.id > best.id)) best = s;
  }
  return best;
}

export function serviceForHour(spans: readonly ServiceSpan[], hourMs: number, timezone: string): ServiceSpan | null {
  return spans.length === 0 ? null : serviceForDate(spans, localDateOf(hourMs, timezone));
}
