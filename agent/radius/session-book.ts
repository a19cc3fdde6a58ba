import { join } from 'node:path';
import { systemClock, type Clock } from '../../plugin/common/clock.js';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { ensureDir, readOptional, writeChunksDurably } from '../spool/files.js';
import type { SpoolEntry } from '../spool/spool.js';
import { OpenSessions, type EndedSession, type OpenSession } from './open-sessions.js';

/** What the session book needs from the spool. */
export interface BookSpool {
  readonly lastDurableSeq: number;
  scan(afterSeq: number, onEntry: (e: SpoolEntry) => void): Promise<void>;
  setHold(name: string, seq: number | null): Promise<void>;
}

export interface SessionBookOptions {
  stateDir: string;
  spool: BookSpool;
  logger: Logger;
  /** How often the open-session table is written out when it changed. */
  snapshotIntervalMs?: number;
  /** How many record ids of the replayed tail to hand back (retransmission detection after a restart). */
  recentIdsLimit?: number;
  clock?: Clock;
  /**
   * How long an ended session is remembered, so that a late interim never re-opens it. NASes
   * retry an unanswered interim for minutes to hours (and resend after our restart); the default
   * is well past that.
   */
  endedMemoryMs?: number;
}

export const DEFAULT_ENDED_MEMORY_MS = 48 * 3600_000;

const FILE = 'radius-sessions.json';
const HOLD = 'radius-sessions';

/**
 * Keeps the open RADIUS sessions durable across restarts, so an Accounting-On/Off after a restart
 * still closes them: a snapshot file holds the table as of spool sequence S, and the spool keeps
 * every record after S on disk (a hold) to be replayed on the next start. Between snapshots
 * nothing extra is written per packet; the spool write is the journal.
 */
export class SessionBook {
  readonly table: OpenSessions;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: Required<SessionBookOptions>) {
    this.table = new OpenSessions({ now: () => opts.clock.now().getTime() });
  }

  static async open(options: SessionBookOptions): Promise<{ book: SessionBook; recentRecordIds: string[] }> {
    const opts = { snapshotIntervalMs: 30_000, recentIdsLimit: 100_000, clock: systemClock, endedMemoryMs: DEFAULT_ENDED_MEMORY_MS, ...options };
    await ensureDir(opts.stateDir);
    const book = new SessionBook(opts);
    let seq = 0;
    const text = await readOptional(join(opts.stateDir, FILE));
    if (text) {
      try {
        const snap = JSON.parse(text) as { seq: number; sessions: OpenSession[]; ended?: EndedSession[] };
        seq = snap.seq;
        for (const s of snap.sessions) book.table.put(s);
        // Version 1 snapshots had no ended sessions: only the replayed tail's ends are known then.
        for (const e of snap.ended ?? []) book.table.putEnded(e);
      } catch (err) {
        opts.logger.error('radius: session snapshot unreadable; rebuilding from the spool only', {
          error: errorMessage(err),
        });
      }
    }
    const recent: string[] = [];
    let first: number | undefined;
    await opts.spool.scan(seq, (e) => {
      first ??= e.seq;
      if (e.record.source !== 'radius') return;
      book.table.apply(e.record);
      recent.push(e.record.recordId);
      if (recent.length > opts.recentIdsLimit * 2) recent.splice(0, recent.length - opts.recentIdsLimit);
    });
    if (first !== undefined && first > seq + 1) {
      opts.logger.warn('radius: part of the spool after the session snapshot is gone; some open sessions may be unknown', {
        snapshotSeq: seq,
        firstAvailable: first,
      });
    }
    await book.snapshot();
    return { book, recentRecordIds: recent.slice(-opts.recentIdsLimit) };
  }

  apply(records: SessionObservation[]): void {
    for (const r of records) this.table.apply(r);
    if (records.length > 0) this.dirty = true;
  }

  openFor(nasName: string): SessionObservation[] {
    return this.table.openFor(nasName);
  }

  endedFor(nasName: string, sessionId: string): EndedSession | undefined {
    return this.table.endedFor(nasName, sessionId);
  }

  get size(): number {
    return this.table.size;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.dirty) void this.snapshot().catch(() => undefined);
    }, this.opts.snapshotIntervalMs);
    this.timer.unref();
  }

  /**
   * Writes the table as of the spool's last durable record. Records are applied to the table
   * synchronously when their append resolves.
   */
  snapshot(): Promise<void> {
    const run = this.writing.then(async () => {
      // Capture in a fresh macrotask: every append that already resolved has then run its
      // continuation (which applies the records), so the table really covers `seq`.
      await new Promise((r) => setImmediate(r));
      const seq = this.opts.spool.lastDurableSeq;
      this.table.pruneEnded(this.opts.clock.now().getTime() - this.opts.endedMemoryMs);
      // Copies taken now, in this same turn: the table as of `seq`, whatever later interims change.
      const sessions = this.table.all();
      const ended = this.table.allEnded();
      this.dirty = false;
      try {
        await writeChunksDurably(this.opts.stateDir, FILE, snapshotChunks(seq, sessions, ended));
        await this.opts.spool.setHold(HOLD, seq);
      } catch (err) {
        this.dirty = true;
        this.opts.logger.error('radius: cannot write the session snapshot', { error: errorMessage(err) });
        throw err;
      }
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.snapshot().catch(() => undefined);
  }
}

/** The snapshot as JSON, a few thousand sessions per piece (100,000 of them make ~15 MB). */
function* snapshotChunks(seq: number, sessions: OpenSession[], ended: EndedSession[]): Generator<string> {
  yield `{"version":2,"seq":${seq},"sessions":[`;
  yield* arrayChunks(sessions);
  yield '],"ended":[';
  yield* arrayChunks(ended);
  yield ']}\n';
}

function* arrayChunks(items: unknown[]): Generator<string> {
  for (let i = 0; i < items.length; i += 2000) {
    const part = JSON.stringify(items.slice(i, i + 2000));
    yield (i > 0 ? ',' : '') + part.slice(1, -1);
  }
}
