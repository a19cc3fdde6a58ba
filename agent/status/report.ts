import type { AgentStatusReport, SourceStatus } from '../../plugin/common/wire.js';

/**
 * The agent's status report, built from what its parts say about themselves (pure: time and
 * every figure are arguments). Messages are cut to the wire format's limits, never dropped.
 */
export interface RouterFacts {
  router: string;
  up: boolean;
  lastPollAt: Date | null;
  lastError: string | null;
  sessions: number;
  errors: number;
  completeThrough: Date | null;
}

export interface NasFacts {
  nas: string;
  lastSeenAt: Date | null;
  completeThrough: Date | null;
}

export interface StatusFacts {
  now: Date;
  version: string;
  spool: { depth: number; bytes: number; maxBytes: number; lagMs: number };
  shipper: { lastAckAt: string | null; lastError: string | null };
  routers: RouterFacts[];
  /** NASes whose accounting the agent records (not those of polled routers). */
  nases?: NasFacts[];
}

const cut = (s: string | null, n = 500): string | null => (s === null ? null : s.slice(0, n));

export function buildStatusReport(f: StatusFacts): AgentStatusReport {
  const sources: SourceStatus[] = f.routers.map((r) => ({
    kind: 'router',
    name: r.router,
    up: r.up,
    // A router never polled yet is not "down for a reason"; it simply has not answered yet.
    reason: r.up ? null : cut(r.lastError ?? 'not polled yet'),
    lastSeenAt: r.lastPollAt?.toISOString() ?? null,
    sessions: r.lastPollAt ? r.sessions : null,
    errors: r.errors,
    completeThrough: r.completeThrough?.toISOString() ?? null,
  }));
  for (const n of f.nases ?? []) {
    // The agent cannot tell a quiet NAS from a dead one; the plugin marks it silent by lastSeenAt.
    sources.push({
      kind: 'nas',
      name: n.nas,
      up: true,
      reason: null,
      lastSeenAt: n.lastSeenAt?.toISOString() ?? null,
      sessions: null,
      errors: 0,
      completeThrough: n.completeThrough?.toISOString() ?? null,
    });
  }
  return {
    takenAt: f.now.toISOString(),
    version: f.version,
    spool: { depth: f.spool.depth, bytes: f.spool.bytes, maxBytes: f.spool.maxBytes, lagSeconds: Math.max(0, f.spool.lagMs) / 1000 },
    shipping: { lastAckAt: f.shipper.lastAckAt, lastError: cut(f.shipper.lastError) },
    sources,
  };
}
