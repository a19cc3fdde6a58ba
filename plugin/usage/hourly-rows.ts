import { localDateOf } from './local-time.js';
import { serviceForDate, type ServiceSpan } from './service-match.js';
import { chooseSource, type SourceUsage } from './source-choice.js';
import type { ObservationSource } from '../common/wire.js';

/**
 * From usage per (login, hour, source) to the rows of usage_hourly (pure): one source per login
 * and hour, and the service live for that login on the hour's local date (or none: unassigned).
 */
export interface LoginHourSource {
  login: string;
  hourMs: number;
  source: ObservationSource;
  download: bigint;
  upload: bigint;
}

export interface HourlyRow extends LoginHourSource {
  serviceId: number | null;
}

export function hourlyRows(rows: readonly LoginHourSource[], services: readonly ServiceSpan[], timezone: string): HourlyRow[] {
  const byKey = new Map<string, { login: string; hourMs: number; sources: SourceUsage[] }>();
  for (const r of rows) {
    const key = `${r.login}\u0000${r.hourMs}`;
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { login: r.login, hourMs: r.hourMs, sources: [] }));
    e.sources.push(r);
  }
  const spans = new Map<string, ServiceSpan[]>();
  for (const s of services) spans.set(s.login, [...(spans.get(s.login) ?? []), s]);
  const dates = new Map<number, string>();
  const out: HourlyRow[] = [];
  for (const e of byKey.values()) {
    const chosen = chooseSource(e.sources);
    if (!chosen || (chosen.download === 0n && chosen.upload === 0n)) continue;
    const loginSpans = spans.get(e.login) ?? [];
    let serviceId: number | null = null;
    if (loginSpans.length > 0) {
      let date = dates.get(e.hourMs);
      if (date === undefined) dates.set(e.hourMs, (date = localDateOf(e.hourMs, timezone)));
      serviceId = serviceForDate(loginSpans, date)?.id ?? null;
    }
    out.push({ login: e.login, hourMs: e.hourMs, source: chosen.source, download: chosen.download, upload: chosen.upload, serviceId });
  }
  return out;
}
