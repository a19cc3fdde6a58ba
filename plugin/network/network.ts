import type { AgentStatusReport, SourceStatus } from '../common/wire.js';
import type { SourceCompleteness } from '../usage/index.js';

/**
 * The Network view (pure): each agent's last report, and each router and NAS in it, with what
 * needs attention. A router is down when its last poll failed; a source is silent when the agent
 * has not seen it for longer than `silentAfterMinutes`; an agent is stale when it has not
 * reported for as long (then nothing it says about its sources is current either).
 */
export interface StoredReport {
  agentId: number;
  agentName: string;
  receivedAt: Date;
  report: AgentStatusReport;
}

export interface NetworkSettings {
  silentAfterMinutes: number;
}

export type SourceState = 'up' | 'down' | 'silent' | 'unknown';

export interface NetworkSource {
  agent: string;
  kind: SourceStatus['kind'];
  name: string;
  state: SourceState;
  reason: string | null;
  lastSeenAt: string | null;
  sessions: number | null;
  errors: number;
  completeThrough: string | null;
}

export interface NetworkAgent {
  name: string;
  version: string;
  reportedAt: string;
  stale: boolean;
  spoolDepth: number;
  spoolBytes: number;
  spoolMaxBytes: number;
  shippingLagSeconds: number;
  lastAckAt: string | null;
  shippingError: string | null;
}

export interface NetworkView {
  agents: NetworkAgent[];
  sources: NetworkSource[];
  /** Sources down or silent, and stale agents: what the dashboard points at. */
  attention: number;
}

export function networkView(reports: readonly StoredReport[], now: Date, settings: NetworkSettings): NetworkView {
  const limitMs = settings.silentAfterMinutes * 60_000;
  const agents: NetworkAgent[] = [];
  const sources: NetworkSource[] = [];
  let attention = 0;
  for (const r of [...reports].sort((a, b) => byCodeUnits(a.agentName, b.agentName))) {
    const stale = now.getTime() - r.receivedAt.getTime() > limitMs;
    if (stale) attention++;
    const rep = r.report;
    agents.push({
      name: r.agentName,
      version: rep.version,
      reportedAt: r.receivedAt.toISOString(),
      stale,
      spoolDepth: rep.spool.depth,
      spoolBytes: rep.spool.bytes,
      spoolMaxBytes: rep.spool.maxBytes,
      shippingLagSeconds: rep.spool.lagSeconds,
      lastAckAt: rep.shipping.lastAckAt,
      shippingError: rep.shipping.lastError,
    });
    for (const s of [...rep.sources].sort((a, b) => byCodeUnits(a.kind, b.kind) || byCodeUnits(a.name, b.name))) {
      const state = sourceState(s, stale, now, limitMs);
      if (state === 'down' || state === 'silent') attention++;
      sources.push({
        agent: r.agentName,
        kind: s.kind,
        name: s.name,
        state,
        reason: s.reason,
        lastSeenAt: s.lastSeenAt,
        sessions: s.sessions,
        errors: s.errors,
        completeThrough: s.completeThrough,
      });
    }
  }
  return { agents, sources, attention };
}

/** Names are compared as they are (logins and router names are byte-compared everywhere), not by locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sourceState(s: SourceStatus, agentStale: boolean, now: Date, limitMs: number): SourceState {
  if (agentStale) return 'unknown';
  if (!s.up) return 'down';
  if (s.lastSeenAt === null || now.getTime() - Date.parse(s.lastSeenAt) > limitMs) return 'silent';
  return 'up';
}

/** Completeness per source from the reports (the billing read port's seam). */
export function completenessOf(reports: readonly StoredReport[]): SourceCompleteness[] {
  const out: SourceCompleteness[] = [];
  for (const r of reports) {
    for (const s of r.report.sources) {
      out.push({
        agentName: r.agentName,
        source: s.kind === 'router' ? 'poll' : 'radius',
        sourceName: s.name,
        completeThrough: s.completeThrough === null ? null : new Date(s.completeThrough),
      });
    }
  }
  return out;
}
