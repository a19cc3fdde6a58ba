import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import { backoffDelay } from '../routeros/backoff.js';
import { RouterOsClient } from '../routeros/client.js';
import { RouterText } from '../routeros/text.js';
import {
  RouterOsConnectionError,
  RouterOsLoginError,
  RouterOsProtocolError,
  RouterOsTimeoutError,
  RouterOsTlsError,
  RouterOsTrapError,
} from '../routeros/errors.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import type { InventorySink, ObservationSink } from '../types.js';
import { collectInventory, collectSessions, type PollerClient } from './collect.js';
import { routerPort, type RouterConfig } from './config.js';
import { decidePoll, type PollerState } from './decide.js';
import { holdSeq, replayRecords, type JournalEntry } from './replay.js';
import { registerPollerMetrics, type PollerMetrics } from './metrics.js';
import { PollerStateStore } from './state-store.js';

/**
 * The spool as the poller's journal (agent/spool/spool.ts is one): appends that say where the
 * records landed, a scan to replay them on start, and a hold that keeps them on disk.
 */
export interface PollerJournal {
  readonly id: string;
  appendWithSeq(records: SessionObservation[]): Promise<{ firstSeq: number; lastSeq: number }>;
  scan(afterSeq: number, onEntry: (e: JournalEntry) => void): Promise<void>;
  setHold(name: string, seq: number | null): Promise<void>;
}

export interface PollersDeps {
  routers: RouterConfig[];
  sink: ObservationSink;
  /**
   * Where records go when given (instead of `sink`): the poller's state is then rebuilt from it
   * after a crash between an append and the state save, so no session gets a second id.
   */
  journal?: PollerJournal;
  inventory?: InventorySink;
  stateDir: string;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Opens a logged-in connection; defaults to RouterOsClient.connect (tests may inject). */
  connect?: (router: RouterConfig) => Promise<PollerClient>;
  /** Random source for backoff jitter (tests make it fixed). */
  random?: () => number;
}

export interface RouterStatus {
  router: string;
  /** The last poll succeeded. */
  up: boolean;
  /** When the last successful poll finished (agent clock). */
  lastPollAt: Date | null;
  lastError: string | null;
  sessions: number;
  /** Failed polls since the agent started. */
  errors?: number;
}

export interface Pollers {
  start(): void;
  stop(): Promise<void>;
  status(): RouterStatus[];
  /** Polls one router now (waits for a poll already running); resolves when it is recorded. */
  pollNow(router: string): Promise<void>;
  /** The router's text codec, for writes that must carry the bytes the router gave. */
  textOf(router: string): RouterText | undefined;
  /**
   * Per router, the last successful poll whose records are all in the spool at or before
   * `ackedSeq` (acknowledged by the plugin): usage from that router is complete through then.
   */
  completeThrough(ackedSeq: number): Array<{ router: string; completeThrough: Date | null }>;
}

const BACKOFF_INITIAL_MS = 5_000;
const BACKOFF_MAX_MS = 300_000;

/**
 * One independent loop per router: poll, record, sleep, repeat. A router that is down or slow
 * only delays itself (its own timer, its own timeouts, its own backoff), never the others.
 */
export function createPollers(deps: PollersDeps): Pollers {
  const names = new Set<string>();
  for (const r of deps.routers) {
    if (names.has(r.name)) throw new Error(`router name ${r.name} is used twice`);
    names.add(r.name);
  }
  const metrics = registerPollerMetrics(deps.registry);
  const store = new PollerStateStore(deps.stateDir, deps.logger);
  const runners = deps.routers.map((r) => new RouterPoller(r, deps, store, metrics));
  // Until each router's state is restored, keep the whole spool: the shipper may already be
  // acknowledging the very records the restore needs.
  for (const r of runners) r.holdEverything();
  const byName = new Map(runners.map((r) => [r.router.name, r]));
  return {
    start: () => runners.forEach((r) => r.start()),
    stop: async () => {
      await Promise.all(runners.map((r) => r.stop()));
    },
    status: () => runners.map((r) => r.status()),
    pollNow: (name) => {
      const r = byName.get(name);
      if (!r) return Promise.reject(new Error(`no router named ${name}`));
      return r.pollNow();
    },
    textOf: (name) => byName.get(name)?.text,
    completeThrough: (ackedSeq) => runners.map((r) => ({ router: r.router.name, completeThrough: r.completeThrough(ackedSeq) })),
  };
}

class RouterPoller {
  private client: PollerClient | null = null;
  private state: PollerState | null = null;
  private failures = 0;
  private polls = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** Set while stop() tears the connection down: the failure that causes is not the router's. */
  private stopping = false;
  private up = false;
  private lastPollAt: Date | null = null;
  private lastError: string | null = null;
  private sessions = 0;
  private held: number | null = null;
  private observedAt: Date | null = null;
  private errorCount = 0;
  /** Recent successful polls and the spool sequence their records reach (oldest first, bounded). */
  private readonly pollMarks: Array<{ at: Date; seq: number }> = [];
  private readonly logger: Logger;
  /** The router's text codec: decodes what it reads, and gives back its own bytes for writes. */
  readonly text: RouterText;

  constructor(
    readonly router: RouterConfig,
    private readonly deps: PollersDeps,
    private readonly store: PollerStateStore,
    private readonly metrics: PollerMetrics,
  ) {
    this.logger = deps.logger.child({ router: router.name });
    this.text = new RouterText(router.textEncoding);
  }

  /** Twice the re-report interval: an open session's latest record is never older while the router answers. */
  private get holdMaxAgeMs(): number {
    return 2 * this.router.reportUnchangedEverySeconds * 1000 + 2 * this.router.pollIntervalSeconds * 1000;
  }

  private get holdName(): string {
    return `poller-${this.router.name}`;
  }

  holdEverything(): void {
    this.setHold(0);
  }

  private setHold(seq: number): void {
    const journal = this.deps.journal;
    if (!journal || this.held === seq) return;
    this.held = seq;
    journal.setHold(this.holdName, seq).catch((err: unknown) => this.logger.warn('poller: could not move its spool hold', { error: errorMessage(err) }));
  }

  /** The saved state, plus whatever this router's records in the spool say happened after it. */
  private async loadState(): Promise<PollerState> {
    const saved = await this.store.load(this.router.name);
    const journal = this.deps.journal;
    if (!journal) return saved;
    let state: PollerState;
    if (!saved.journal && saved.lastPollAt !== null) {
      // A state file from before the journal: it is all there is to go on.
      state = { ...saved, journal: { spoolId: journal.id, seq: 0 } };
    } else {
      const from = saved.journal?.spoolId === journal.id ? saved.journal.seq : 0;
      const entries: JournalEntry[] = [];
      let through = from;
      await journal.scan(from, (e) => {
        through = e.seq;
        if (e.record.source === 'poll' && e.record.sourceName === this.router.name) entries.push(e);
      });
      state = replayRecords(saved, this.router.name, journal.id, entries);
      state.journal = { spoolId: journal.id, seq: Math.max(through, state.journal?.seq ?? 0) };
      if (entries.length > 0) {
        this.logger.info('poller: state rebuilt from its records in the spool', {
          records: entries.length,
          sessions: Object.keys(state.sessions).length,
          stateFile: saved.lastPollAt === null ? 'missing' : 'behind the spool',
        });
      }
    }
    this.setHold(holdSeq(state, this.deps.clock.now(), this.holdMaxAgeMs));
    return state;
  }

  completeThrough(ackedSeq: number): Date | null {
    let best: Date | null = null;
    for (const m of this.pollMarks) if (m.seq <= ackedSeq) best = m.at;
    // Marks before the newest acknowledged one say nothing more.
    while (this.pollMarks.length > 1 && this.pollMarks[1]!.seq <= ackedSeq) this.pollMarks.shift();
    return best;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // Spread the first polls a little so that many routers do not all start in the same instant.
    this.schedule(Math.round((this.deps.random ?? Math.random)() * 1000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Dropping the connection makes an in-flight poll fail fast instead of waiting for timeouts.
    this.client?.destroy();
    this.client = null;
    await this.running?.catch(() => {});
    // A poll that was connecting (or retrying on a fresh connection) when stop() began has one
    // open now; left open, its socket kept a stopped agent alive until the router dropped it.
    (this.client as PollerClient | null)?.destroy();
    this.client = null;
    this.stopping = false;
  }

  status(): RouterStatus {
    return { router: this.router.name, up: this.up, lastPollAt: this.lastPollAt, lastError: this.lastError, sessions: this.sessions, ...(this.errorCount > 0 ? { errors: this.errorCount } : {}) };
  }

  pollNow(): Promise<void> {
    if (!this.running) {
      this.running = this.poll().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollNow().finally(() => {
        const delay =
          this.failures === 0
            ? this.router.pollIntervalSeconds * 1000
            : backoffDelay(this.failures, { initialMs: Math.min(BACKOFF_INITIAL_MS, this.router.pollIntervalSeconds * 1000), maxMs: Math.max(BACKOFF_MAX_MS, this.router.pollIntervalSeconds * 1000) }, this.deps.random);
        this.schedule(delay);
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const started = process.hrtime.bigint();
    const timeoutMs = this.router.timeoutSeconds * 1000;
    let outcome = 'ok';
    try {
      this.state ??= await this.loadState();
      const reused = this.client !== null && !this.client.closed;
      try {
        await this.collectAndRecord(await this.connection(), timeoutMs);
      } catch (err) {
        // A kept-alive connection may have died quietly since the last poll (router restarted its
        // API service, a NAT dropped it): one fresh attempt before calling the poll failed.
        if (this.stopping || !reused || !(err instanceof RouterOsConnectionError) || err instanceof RouterOsTlsError) throw err;
        this.client?.destroy();
        this.client = null;
        await this.collectAndRecord(await this.connection(), timeoutMs);
      }
      this.failures = 0;
      this.up = true;
      this.lastError = null;
      this.lastPollAt = this.deps.clock.now();
      this.metrics.up.set({ router: this.router.name }, 1);
      this.metrics.lastSuccess.set({ router: this.router.name }, this.lastPollAt.getTime() / 1000);
      const seq = this.state?.journal?.seq;
      if (this.deps.journal && seq !== undefined && this.router.sessionSource === 'poll') {
        this.pollMarks.push({ at: this.observedAt ?? this.lastPollAt, seq });
        if (this.pollMarks.length > 1000) this.pollMarks.splice(0, this.pollMarks.length - 1000);
      }
    } catch (err) {
      outcome = 'error';
      if (this.stopping) return;
      this.failures++;
      this.errorCount++;
      this.up = false;
      this.lastError = errorMessage(err);
      const reason = reasonOf(err);
      this.metrics.errors.inc({ router: this.router.name, reason });
      this.metrics.up.set({ router: this.router.name }, 0);
      this.logger.warn('poll failed', { reason, error: this.lastError, failures: this.failures });
      // After a timeout or a broken stream the connection cannot be trusted; start afresh next time.
      if (!(err instanceof RouterOsTrapError) && !(err instanceof SinkError)) {
        this.client?.destroy();
        this.client = null;
      }
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.duration.observe({ router: this.router.name, outcome }, seconds);
    }
  }

  private async collectAndRecord(client: PollerClient, timeoutMs: number): Promise<void> {
    const polls = this.polls + 1;
    if (this.router.sessionSource === 'poll') {
      const collected = await collectSessions(client, this.router, timeoutMs, this.text);
      const decision = decidePoll(this.state!, {
        routerName: this.router.name,
        observedAt: (this.observedAt = this.deps.clock.now()),
        routerUptimeSeconds: collected.routerUptimeSeconds,
        rows: collected.rows,
        kinds: collected.kinds,
        newRecordId: randomUUID,
        reportUnchangedAfterMs: this.router.reportUnchangedEverySeconds * 1000,
      });
      if (decision.rebooted) this.logger.warn('router rebooted: its open sessions are closed', { closed: decision.ended });
      // Durable first, then remember: a crash in between re-sends cumulative counters (harmless),
      // the other order could lose a session's end.
      if (decision.observations.length > 0) {
        try {
          if (this.deps.journal) noteSeqs(decision.state, decision.observations, this.deps.journal.id, await this.deps.journal.appendWithSeq(decision.observations));
          else await this.deps.sink.append(decision.observations);
        } catch (err) {
          throw new SinkError(errorMessage(err));
        }
      }
      await this.store.save(this.router.name, decision.state);
      this.state = decision.state;
      this.setHold(holdSeq(decision.state, this.deps.clock.now(), this.holdMaxAgeMs));
      this.sessions = collected.rows.length;
      this.metrics.sessions.set({ router: this.router.name }, this.sessions);
    }
    if (this.deps.inventory && (polls === 1 || polls % this.router.inventoryEveryPolls === 0)) {
      const entries = await collectInventory(client, this.router, timeoutMs, this.text);
      this.deps.inventory.publish({ routerName: this.router.name, takenAt: this.deps.clock.now().toISOString(), entries });
    }
    this.polls = polls;
  }

  private async connection(): Promise<PollerClient> {
    if (this.client && !this.client.closed) return this.client;
    this.client = null;
    const connect = this.deps.connect ?? ((r: RouterConfig) => connectRouter(r, this.logger));
    this.client = await connect(this.router);
    return this.client;
  }
}

class SinkError extends Error {}

/** Remembers where each session's latest record landed in the spool, and how far the state reaches. */
function noteSeqs(state: PollerState, observations: SessionObservation[], spoolId: string, at: { firstSeq: number; lastSeq: number }): void {
  const byId = new Map(Object.values(state.sessions).map((t) => [t.sessionId, t]));
  observations.forEach((o, i) => {
    const t = o.ended ? undefined : byId.get(o.sessionId);
    if (t) t.seq = at.firstSeq + i;
  });
  state.journal = { spoolId, seq: at.lastSeq };
}

function reasonOf(err: unknown): string {
  if (err instanceof SinkError) return 'sink';
  if (err instanceof RouterOsLoginError) return 'login';
  if (err instanceof RouterOsTimeoutError) return 'timeout';
  if (err instanceof RouterOsTlsError) return 'tls';
  if (err instanceof RouterOsProtocolError) return 'protocol';
  if (err instanceof RouterOsConnectionError) return 'connect';
  if (err instanceof RouterOsTrapError) return 'trap';
  return 'other';
}

/** The production connection: RouterOS API, TLS as configured. */
export function connectRouter(r: RouterConfig, logger: Logger): Promise<RouterOsClient> {
  return RouterOsClient.connect({
    host: r.host,
    port: routerPort(r),
    username: r.username,
    password: r.password,
    connectTimeoutMs: r.timeoutSeconds * 1000,
    commandTimeoutMs: r.timeoutSeconds * 1000,
    logger,
    tls: r.tls.enabled
      ? {
          ...(r.tls.caFile ? { ca: readFileSync(r.tls.caFile) } : {}),
          ...(r.tls.fingerprint ? { fingerprint: r.tls.fingerprint } : {}),
          insecure: r.tls.insecure,
        }
      : false,
  });
}
