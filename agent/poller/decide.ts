import type { SessionObservation } from '../../plugin/common/wire.js';

/**
 * The poller's rules, as a pure function of (what we knew, what the router shows now):
 *
 * - Counters are cumulative per session. A row whose counters (or session uptime) went down is
 *   a new session: the old one is closed with its last counters, never a negative delta.
 * - A session that disappears is closed with the counters last seen, observed when last seen:
 *   nothing is invented for the time between polls.
 * - A router whose uptime went down, or is shorter than the time since our last poll, rebooted:
 *   every session we knew is closed, every row is new.
 * - What changed is reported at once; a session whose counters stand still is reported again
 *   (same counters) once `reportUnchangedAfterMs` has passed since its last report, so that the
 *   plugin keeps an idle but connected subscriber among its live sessions. A repeat adds nothing
 *   to usage (counters are cumulative).
 * - A close the poller makes up (vanished, reset, reboot: the last counters seen, at the time
 *   they were seen) is marked synthetic: the plugin lets it confirm counters, never start a segment.
 */

export type SessionKind = 'ppp' | 'hotspot' | 'queue';

/** One session as the router shows it now. */
export interface SessionRow {
  kind: SessionKind;
  /** The router's item id (`.id`), e.g. `*8000001A`. */
  itemId: string;
  login: string;
  /** Session uptime in seconds; null where the router has none (queues). */
  uptimeSeconds: number | null;
  download: bigint;
  upload: bigint;
  framedIp?: string | undefined;
  callerId?: string | undefined;
}

/** What we remember of a session between polls (and across agent restarts: JSON-safe). */
export interface TrackedSession {
  sessionId: string;
  kind: SessionKind;
  itemId: string;
  login: string;
  sessionStart: string | null;
  uptimeSeconds: number | null;
  download: string;
  upload: string;
  lastSeenAt: string;
  framedIp?: string | undefined;
  callerId?: string | undefined;
  /** When the session was last reported (observedAt of its latest record); absent in old state files. */
  reportedAt?: string | undefined;
  /** Spool sequence of its latest record, once durable (the poller sets it; see journal.ts). */
  seq?: number | undefined;
}

export interface PollerState {
  version: 1;
  routerUptimeSeconds: number | null;
  lastPollAt: string | null;
  /** By row key (kind, item id, login). */
  sessions: Record<string, TrackedSession>;
  /**
   * The spool this state was written against and the sequence of the newest record it reflects:
   * records after it are replayed on start (they were spooled, then the state save was lost).
   */
  journal?: { spoolId: string; seq: number } | undefined;
}

export function emptyState(): PollerState {
  return { version: 1, routerUptimeSeconds: null, lastPollAt: null, sessions: {} };
}

export interface PollInput {
  routerName: string;
  observedAt: Date;
  /** /system/resource uptime; null if not read this poll (then no reboot can be detected). */
  routerUptimeSeconds: number | null;
  rows: readonly SessionRow[];
  /** Kinds collected this poll; tracked sessions of other kinds are left as they are. */
  kinds: ReadonlySet<SessionKind>;
  newRecordId: () => string;
  /** Report a session whose counters stand still again after this long; absent: only changes. */
  reportUnchangedAfterMs?: number;
}

export interface PollOutcome {
  observations: SessionObservation[];
  state: PollerState;
  rebooted: boolean;
  started: number;
  ended: number;
}

export function rowKey(row: Pick<SessionRow, 'kind' | 'itemId' | 'login'>): string {
  return `${row.kind}|${row.itemId}|${row.login}`;
}

export function decidePoll(prev: PollerState, input: PollInput): PollOutcome {
  const at = input.observedAt;
  const atIso = at.toISOString();
  const rebooted = detectReboot(prev, input);
  const observations: SessionObservation[] = [];
  const sessions: Record<string, TrackedSession> = {};
  const usedIds = new Set<string>();
  let started = 0;
  let ended = 0;

  const close = (t: TrackedSession, cause: string) => {
    ended++;
    observations.push(observation(input, t, t.lastSeenAt, BigInt(t.download), BigInt(t.upload), true, cause, true));
  };

  const seen = new Set<string>();
  for (const row of input.rows) {
    const key = rowKey(row);
    if (seen.has(key)) continue; // the router listed the same item twice: keep the first
    seen.add(key);
    const old = rebooted ? undefined : prev.sessions[key];
    if (old) {
      const oldDown = BigInt(old.download);
      const oldUp = BigInt(old.upload);
      const reset =
        row.download < oldDown ||
        row.upload < oldUp ||
        (row.uptimeSeconds !== null && old.uptimeSeconds !== null && row.uptimeSeconds < old.uptimeSeconds);
      if (!reset) {
        const t: TrackedSession = {
          ...old,
          uptimeSeconds: row.uptimeSeconds,
          download: String(row.download),
          upload: String(row.upload),
          lastSeenAt: atIso,
          framedIp: row.framedIp ?? old.framedIp,
          callerId: row.callerId ?? old.callerId,
        };
        sessions[key] = t;
        usedIds.add(t.sessionId);
        if (row.download !== oldDown || row.upload !== oldUp || dueForRepeat(old, at, input.reportUnchangedAfterMs)) {
          t.reportedAt = atIso;
          observations.push(observation(input, t, atIso, row.download, row.upload, false));
        }
        continue;
      }
      close(old, 'counter-reset');
    }
    started++;
    const start = row.uptimeSeconds === null ? null : new Date(Math.floor(at.getTime() / 1000 - row.uptimeSeconds) * 1000);
    let sessionId = `${row.kind}:${row.itemId}@${Math.floor((start ?? at).getTime() / 1000)}`;
    // A reset within the same second on the same item would repeat the id; keep ids unique.
    const previous = prev.sessions[key]?.sessionId;
    for (let n = 2; usedIds.has(sessionId) || sessionId === previous; n++) sessionId = `${sessionId.replace(/#\d+$/, '')}#${n}`;
    usedIds.add(sessionId);
    const t: TrackedSession = {
      sessionId,
      kind: row.kind,
      itemId: row.itemId,
      login: row.login,
      sessionStart: start ? start.toISOString() : null,
      uptimeSeconds: row.uptimeSeconds,
      download: String(row.download),
      upload: String(row.upload),
      lastSeenAt: atIso,
      framedIp: row.framedIp,
      callerId: row.callerId,
      reportedAt: atIso,
    };
    sessions[key] = t;
    observations.push(observation(input, t, atIso, row.download, row.upload, false));
  }

  for (const [key, old] of Object.entries(prev.sessions)) {
    if (!input.kinds.has(old.kind)) {
      // Not collected this time (e.g. collection switched off): keep it, say nothing.
      if (!rebooted) sessions[key] = old;
      else close(old, 'router-reboot');
      continue;
    }
    if (!rebooted && seen.has(key)) continue;
    close(old, rebooted ? 'router-reboot' : 'session-vanished');
  }

  return {
    observations,
    state: {
      version: 1,
      routerUptimeSeconds: input.routerUptimeSeconds ?? prev.routerUptimeSeconds,
      lastPollAt: atIso,
      sessions,
      ...(prev.journal ? { journal: prev.journal } : {}),
    },
    rebooted,
    started,
    ended,
  };
}

function dueForRepeat(old: TrackedSession, at: Date, afterMs: number | undefined): boolean {
  if (afterMs === undefined) return false;
  // A session from an older state file has no report time: its last sighting is the safe guess.
  const last = Date.parse(old.reportedAt ?? old.lastSeenAt);
  return at.getTime() - last >= afterMs;
}

/** Slack for comparing the router's uptime with our own elapsed time (rounding, poll latency). */
const REBOOT_SLACK_MS = 5_000;

function detectReboot(prev: PollerState, input: PollInput): boolean {
  const now = input.routerUptimeSeconds;
  if (now === null) return false;
  if (prev.routerUptimeSeconds !== null && now < prev.routerUptimeSeconds) return true;
  // Two reboots one poll apart leave the uptime equal; a router that has been up for less time
  // than has passed since we last saw it must have restarted in between (also across agent restarts).
  if (prev.lastPollAt !== null) {
    const elapsedMs = input.observedAt.getTime() - Date.parse(prev.lastPollAt);
    if (now * 1000 < elapsedMs - REBOOT_SLACK_MS) return true;
  }
  return false;
}

function observation(
  input: PollInput,
  t: TrackedSession,
  observedAt: string,
  download: bigint,
  upload: bigint,
  ended: boolean,
  terminateCause?: string,
  synthetic?: boolean,
): SessionObservation {
  const o: SessionObservation = {
    recordId: input.newRecordId(),
    source: 'poll',
    sourceName: input.routerName,
    login: t.login,
    sessionId: t.sessionId,
    sessionStart: t.sessionStart,
    observedAt,
    downloadOctets: String(download),
    uploadOctets: String(upload),
    ended,
  };
  if (t.framedIp) o.framedIp = t.framedIp;
  if (t.callerId) o.callerId = t.callerId;
  if (terminateCause) o.terminateCause = terminateCause;
  if (synthetic) o.synthetic = true;
  return o;
}
