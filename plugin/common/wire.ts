import { z } from 'zod';

/**
 * The wire format between the agent and the plugin's agent API. Defined once; the agent builds
 * these messages, the plugin validates them with the same schemas.
 *
 * Byte counters travel as decimal strings: they are unsigned 64-bit (gigawords * 2^32 + octets)
 * and JSON numbers lose precision past 2^53.
 */
export const AGENT_API_PREFIX = '/api/v1/agent';

/**
 * The largest counter Octet stores: 2^63-1 (9.2 exabytes). RADIUS can express 2^64-1, but
 * SQLite's integers are signed 64-bit and would silently turn larger values into floats; no real
 * session comes within a million times of this, so a larger value is rejected as corrupt.
 */
export const MAX_OCTETS = (1n << 63n) - 1n;

export const octetsString = z
  .string()
  // Up to 20 digits pass to the range check (2^64-1 has 20), so a RADIUS counter past the limit
  // is quarantined as "at most 2^63-1", not as "not an integer".
  .regex(/^(0|[1-9][0-9]{0,19})$/, { message: 'must be a non-negative integer in decimal', abort: true })
  .refine((s) => BigInt(s) <= MAX_OCTETS, 'must be at most 2^63-1 octets');

export const observationSource = z.enum(['radius', 'poll']);
export type ObservationSource = z.infer<typeof observationSource>;

/**
 * One sighting of a session's cumulative counters. Download is what the subscriber received.
 */
export const sessionObservation = z.strictObject({
  /** Unique per record, chosen by the agent (UUID); makes re-delivery harmless. */
  recordId: z.string().min(1).max(64),
  source: observationSource,
  /** The router (poll) or NAS (radius) name as configured in the agent. */
  sourceName: z.string().min(1).max(128),
  /** RADIUS User-Name, PPP secret name or hotspot user. */
  login: z.string().min(1).max(253),
  /** Acct-Session-Id, or the router's session identity for polled sessions. */
  sessionId: z.string().min(1).max(253),
  /** When the session started, if known (ISO 8601, UTC). */
  sessionStart: z.iso.datetime({ offset: true }).nullable(),
  /** When these counters were true (ISO 8601, UTC). */
  observedAt: z.iso.datetime({ offset: true }),
  downloadOctets: octetsString,
  uploadOctets: octetsString,
  /** True on a RADIUS Stop, or when the session vanished from the router. */
  ended: z.boolean(),
  /**
   * True when the agent made this record up rather than a NAS or router reporting these counters
   * at this time: the close of a NAS's open sessions on Accounting-On/Off, or of a polled session
   * that vanished. Such a record repeats counters already seen; the plugin never reads it as a
   * reset (a new segment), so at most it confirms counters and never adds bytes of its own.
   */
  synthetic: z.boolean().optional(),
  /** Optional context; never needed for billing. */
  framedIp: z.string().max(64).optional(),
  callerId: z.string().max(128).optional(),
  terminateCause: z.string().max(64).optional(),
});
export type SessionObservation = z.infer<typeof sessionObservation>;

/** The plugin validates each record on its own (bad ones are quarantined, not the batch). */
export const observationBatch = z.strictObject({
  batchId: z.string().min(1).max(64),
  sentAt: z.iso.datetime({ offset: true }),
  records: z.array(z.unknown()).min(1).max(10_000),
});
export type ObservationBatch = { batchId: string; sentAt: string; records: SessionObservation[] };

export interface RejectedRecord {
  recordId: string | null;
  index: number;
  reason: string;
}

export interface BatchAck {
  batchId: string;
  /** True when this batch id had been received before; nothing was counted again. */
  duplicateBatch: boolean;
  accepted: number;
  /** Records whose recordId had been seen before (from another batch). */
  duplicateRecords: number;
  /** Quarantined: kept by the plugin with the reason, not counted. */
  rejected: RejectedRecord[];
}

/** A router's subscriber inventory (PPP secrets, hotspot users) at one moment. */
export const inventoryEntry = z.strictObject({
  kind: z.enum(['ppp', 'hotspot']),
  name: z.string().min(1).max(253),
  profile: z.string().max(128).optional(),
  disabled: z.boolean(),
  comment: z.string().max(1024).optional(),
});
export type InventoryEntry = z.infer<typeof inventoryEntry>;

export const inventorySnapshot = z.strictObject({
  routerName: z.string().min(1).max(128),
  takenAt: z.iso.datetime({ offset: true }),
  entries: z.array(inventoryEntry).max(200_000),
});
export type InventorySnapshot = z.infer<typeof inventorySnapshot>;

/**
 * The agent's state as it reports it to the plugin (POST /api/v1/agent/status, every minute):
 * each router and NAS it hears from, and its own spool and shipping. `completeThrough` is the
 * instant through which everything the agent observed of that source has been shipped and
 * acknowledged (the billing read port's completeness).
 */
export const sourceStatus = z.strictObject({
  kind: z.enum(['router', 'nas']),
  name: z.string().min(1).max(128),
  up: z.boolean(),
  /** Why it is down (e.g. `login: invalid user name or password`), or null. */
  reason: z.string().max(500).nullable(),
  /** The last successful poll (router) or the last packet (NAS). */
  lastSeenAt: z.iso.datetime({ offset: true }).nullable(),
  sessions: z.number().int().min(0).nullable(),
  /** Failed polls (router) or dropped packets (NAS) since the agent started. */
  errors: z.number().int().min(0),
  completeThrough: z.iso.datetime({ offset: true }).nullable(),
});
export type SourceStatus = z.infer<typeof sourceStatus>;

export const agentStatusReport = z.strictObject({
  takenAt: z.iso.datetime({ offset: true }),
  version: z.string().min(1).max(64),
  spool: z.strictObject({
    depth: z.number().int().min(0),
    bytes: z.number().int().min(0),
    maxBytes: z.number().int().min(0),
    /** Age of the oldest record not yet acknowledged (0 when all are). */
    lagSeconds: z.number().min(0),
  }),
  shipping: z.strictObject({
    lastAckAt: z.iso.datetime({ offset: true }).nullable(),
    lastError: z.string().max(500).nullable(),
  }),
  sources: z.array(sourceStatus).max(10_000),
});
export type AgentStatusReport = z.infer<typeof agentStatusReport>;

/**
 * Enforcement, plugin -> agent (desired state) and agent -> plugin (what was applied), under
 * AGENT_API_PREFIX with the agent's token:
 * - `GET  /enforcement/desired`: the full desired state of the services on this agent's routers
 *   and NASes (a snapshot, with the highest version in it).
 * - `GET  /enforcement/stream`: server-sent events; `event: desired` with one EnforcementItem as
 *   JSON in `data:`, sent as soon as a desired state changes; a comment line (`: ping`) every 15 s.
 *   An agent (re)connecting first reads the snapshot, then listens.
 * - `POST /enforcement/applied`: what the agent applied (or failed to), per service and version.
 * Versions grow per service; an agent applies an item only if its version is newer than what it
 * applied, so replays and reorderings change nothing.
 */
export const enforcementState = z.enum(['active', 'suspended', 'throttled']);
export type EnforcementState = z.infer<typeof enforcementState>;

export const enforcementItem = z.strictObject({
  serviceId: z.number().int().positive(),
  login: z.string().min(1).max(253),
  /** The router or NAS the service is on (services.nas_name), as the agent's config names it. */
  device: z.string().min(1).max(128),
  desired: enforcementState,
  /** RouterOS rate ("2M/2M") when throttled. */
  rate: z.string().max(64).nullable(),
  version: z.number().int().nonnegative(),
});
export type EnforcementItem = z.infer<typeof enforcementItem>;

export const enforcementSnapshot = z.strictObject({
  version: z.number().int().nonnegative(),
  items: z.array(enforcementItem),
});
export type EnforcementSnapshot = z.infer<typeof enforcementSnapshot>;

export const enforcementApplied = z.strictObject({
  items: z
    .array(
      z.strictObject({
        serviceId: z.number().int().positive(),
        version: z.number().int().nonnegative(),
        device: z.string().min(1).max(128),
        applied: enforcementState,
        rate: z.string().max(64).nullable(),
        ok: z.boolean(),
        /** Why it failed (router unreachable, NAK from the NAS…), when ok is false. */
        error: z.string().max(1000).nullable(),
        at: z.string().datetime({ offset: true }),
      }),
    )
    .max(10_000),
});
export type EnforcementApplied = z.infer<typeof enforcementApplied>;
