import { join } from 'node:path';
import { errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import { ensureDir, readOptional, writeChunksDurably } from '../spool/files.js';
import type { SpoolEntry } from '../spool/spool.js';
import { OpenSessions, type OpenSession } from './open-sessions.js';

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
}

const FILE = 'radius-sessions.json';
const HOLD = 'radius-sessions';

/**
 * Keeps the open RADIUS sessions durable across restarts, so an Accounting-On/Off after a restart
 * still closes them: a snapshot file holds the table as of spool sequence S, and the spool keeps
 * every record after S on disk (a hold) to be replayed on the next start. Between snapshots
 * nothing extra is written per packet; the spool write is the journal.
 */
export class SessionBook {
  readonly table = new OpenSessions();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: Required<SessionBookOptions>) {}

  static async open(options: SessionBookOptions): Promise<{ book: SessionBook; recentRecordIds: string[] }> {
    const opts = { snapshotIntervalMs: 30_000, recentIdsLimit: 100_000, ...options };
    await ensureDir(opts.stateDir);
    const book = new SessionBook(opts);
    let seq = 0;
    const text = await readOptional(join(opts.stateDir, FILE));
    if (text) {
      try {
        const snap = JSON.parse(text) as { seq: number; sessions: OpenSession[] };
        seq = snap.seq;
        for (const s of snap.sessions) book.table.put(s);
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
      // Copies taken now, in this same turn: the table as of `seq`, whatever later interims change.
      const sessions = this.table.all();
      this.dirty = false;
      try {
        await writeChunksDurably(this.opts.stateDir, FILE, snapshotChunks(seq, sessions));
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
function* snapshotChunks(seq: number, sessions: OpenSession[]): Generator<string> {
  yield `{"version":1,"seq":${seq},"sessions":[`;
  for (let i = 0; i < sessions.length; i += 2000) {
    const part = JSON.stringify(sessions.slice(i, i + 2000));
    yield (i > 0 ? ',' : '') + part.slice(1, -1);
  }
  yield ']}\n';
}
