import { constants } from 'node:fs';
import { open, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Clock } from '../../plugin/common/clock.js';
import { OperationalError, errorMessage } from '../../plugin/common/errors.js';
import type { Logger } from '../../plugin/common/logger.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import type { ObservationSink } from '../types.js';
import { ensureDir, listSegments, loadOrCreateSpoolId, readOptional, segmentName, syncDir, writeFileDurably } from './files.js';
import { decodeRecords, encodeRecords, HEADER_BYTES } from './record-format.js';
import { recoverTail } from './recovery.js';
import { FillLevel, registerSpoolMetrics, type SpoolMetrics } from './spool-metrics.js';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** A segment is closed and a new one started past this size; whole segments are deleted once acknowledged. */
  segmentBytes?: number;
  logger: Logger;
  clock: Clock;
  registry?: Registry;
  /** The two file operations a failing disk is tested through. */
  io?: SpoolIo;
  /** After a failure, how often an append may try to cut the torn bytes back. */
  repairIntervalMs?: number;
}

export interface SpoolIo {
  /** Writes `length` bytes of `buf` from `offset` at `position` in the file; returns the bytes written. */
  write(fh: FileHandle, buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  truncate(path: string, length: number): Promise<void>;
}

const realIo: SpoolIo = {
  write: async (fh, buf, offset, length, position) => (await fh.write(buf, offset, length, position)).bytesWritten,
  truncate: (path, length) => truncate(path, length),
};

export interface SpoolEntry {
  seq: number;
  record: SessionObservation;
}

export interface AppendResult {
  firstSeq: number;
  lastSeq: number;
}

export interface SpoolStats {
  /** Records written but not yet acknowledged by the plugin. */
  depth: number;
  bytes: number;
  maxBytes: number;
  ackedSeq: number;
  lastSeq: number;
  /** Age of the oldest unacknowledged record (0 when everything is acknowledged). */
  lagMs: number;
  /** Why the spool refuses records (a failed write it could not cut back), or null. */
  failed: string | null;
}

/** Thrown by append when the spool is at its configured size: the caller must not acknowledge. */
export class SpoolFullError extends OperationalError {}

/**
 * Thrown by append while the spool is failed: a write failed and its torn bytes could not be cut
 * back, so anything appended now would land after garbage. The caller must not acknowledge.
 */
export class SpoolFailedError extends OperationalError {}

interface Segment {
  firstSeq: number;
  path: string;
  /** Durable size: bytes written and fsynced. */
  size: number;
  /**
   * Bytes of the file that exist on disk (the records, then zeros written ahead: see
   * PREALLOCATE_BYTES); known for the segment being written, else equal to size.
   */
  allocated: number;
}

interface Pending {
  payloads: string[];
  /** UTF-8 length of each payload. */
  lengths: number[];
  bytes: number;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}


/**
 * Segments are written with O_DSYNC where the platform has it: each write() returns once its data
 * is durable (what write + fdatasync give), in one thread-pool round trip per group commit instead
 * of two. Each hop wakes a thread and, on a busy 2-core machine, costs the event loop more than the
 * encoding of the records does (profile of test/bench/radius.bench.ts, issue 4).
 *
 * Writes are positional (no O_APPEND): records go at the segment's durable size, over zeros
 * written ahead of them (PREALLOCATE_BYTES).
 */
const O_DSYNC: number | undefined = constants.O_DSYNC;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | (O_DSYNC ?? 0);

/**
 * Zeros written ahead of the records, so that a group commit overwrites blocks the file already
 * has instead of growing it. A durable write that grows a file must also make its new size and
 * blocks durable (on ext4 a journal commit per write); one inside the file carries the data only:
 * 0.4-0.9 ms instead of 1.2-2.2 ms per O_DSYNC write of ~13 KB on the benchmark machine's disk
 * (issue 16), and that write is what each group commit waits for. The zeros past the last record
 * are cut off when a segment is closed or rolled over, and by recovery after an unclean stop, so
 * a segment at rest holds only records.
 */
const PREALLOCATE_BYTES = 1024 * 1024;
let zeros: Buffer | undefined;

const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

/**
 * The durable, append-only spool between the collectors and the shipper.
 *
 * Appends are group-committed: everything appended while a durable write (O_DSYNC, or write +
 * fdatasync) is in flight goes out in the next single one, and each append resolves only once its
 * records are on disk.
 * Records carry a CRC, so a tail torn by a crash is found and truncated on open. Records leave the
 * disk only when the plugin acknowledged them (ack cursor) and no local reader still holds them.
 */
export class Spool implements ObservationSink {
  readonly id: string;
  private segments: Segment[];
  private fh: FileHandle;
  private durableSeq: number;
  private ackedSeq: number;
  private bytes: number;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private flushing = false;
  private closed = false;
  private holds = new Map<string, number>();
  private ackChain: Promise<void> = Promise.resolve();
  private readCache: { nextSeq: number; segFirst: number; offset: number } | undefined;
  /** Append times, coarse (one entry per second at most), for the shipping-lag figure. */
  private appendTimes: Array<{ lastSeq: number; at: number }> = [];
  private appendListeners = new Set<() => void>();
  private readonly fill: FillLevel;
  private readonly metrics: SpoolMetrics;
  private failure: Error | undefined;
  private repairing: Promise<void> | undefined;
  private lastRepairAt = -Infinity;

  private constructor(
    private readonly opts: Required<Omit<SpoolOptions, 'registry'>> & { registry?: Registry },
    state: { id: string; segments: Segment[]; fh: FileHandle; durableSeq: number; ackedSeq: number },
  ) {
    this.id = state.id;
    this.segments = state.segments;
    this.fh = state.fh;
    this.durableSeq = state.durableSeq;
    this.ackedSeq = state.ackedSeq;
    this.bytes = state.segments.reduce((n, s) => n + s.size, 0);
    if (this.durableSeq > this.ackedSeq) this.appendTimes.push({ lastSeq: this.durableSeq, at: opts.clock.now().getTime() });
    this.fill = new FillLevel(opts.logger, opts.dir);
    this.metrics = registerSpoolMetrics(opts.registry, () => this.stats());
    this.fill.update(this.bytes, opts.maxBytes);
  }

  static async open(options: SpoolOptions): Promise<Spool> {
    const opts = { segmentBytes: DEFAULT_SEGMENT_BYTES, io: realIo, repairIntervalMs: 1000, ...options };
    await ensureDir(opts.dir);
    const id = await loadOrCreateSpoolId(opts.dir);
    const cursor = await readOptional(join(opts.dir, 'ack.json'));
    const ackedSeq = cursor ? Number((JSON.parse(cursor) as { ackedSeq: number }).ackedSeq) : 0;
    const found = await listSegments(opts.dir);
    const segments: Segment[] = [];
    for (const f of found) {
      const size = (await stat(f.path)).size;
      segments.push({ firstSeq: f.firstSeq, path: f.path, size, allocated: size });
    }
    if (segments.length === 0) {
      const path = join(opts.dir, segmentName(ackedSeq + 1));
      await (await open(path, 'a')).close();
      await syncDir(opts.dir);
      segments.push({ firstSeq: ackedSeq + 1, path, size: 0, allocated: 0 });
    }
    const last = segments[segments.length - 1]!;
    const recovered = await recoverTail(last.path, last.firstSeq, opts.logger);
    last.size = recovered.size;
    last.allocated = recovered.size;
    const durableSeq = Math.max(last.firstSeq + recovered.records - 1, ackedSeq);
    const fh = await open(last.path, WRITE_FLAGS);
    return new Spool(opts, { id, segments, fh, durableSeq, ackedSeq });
  }

  /** ObservationSink: resolves once the records are on disk; rejects with SpoolFullError when full. */
  append(records: SessionObservation[]): Promise<void> {
    // The same promise (its value unused by an ObservationSink caller): no second promise and
    // microtask per append, which runs for every RADIUS request.
    return this.appendWithSeq(records) as Promise<unknown> as Promise<void>;
  }

  appendWithSeq(records: SessionObservation[]): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new OperationalError('spool is closed'));
    if (this.failure) {
      this.metrics.refused.inc(records.length);
      this.tryRepair();
      return Promise.reject(new SpoolFailedError(`spool failed: ${this.failure.message}; not taking records until repaired`));
    }
    const payloads: string[] = [];
    const lengths: number[] = [];
    let bytes = 0;
    for (const r of records) {
      const p = JSON.stringify(r);
      // Observations are ASCII in practice; byteLength keeps the size limit exact when they are not.
      const n = Buffer.byteLength(p, 'utf8');
      payloads.push(p);
      lengths.push(n);
      bytes += n + HEADER_BYTES;
    }
    if (this.bytes + this.pendingBytes + bytes > this.opts.maxBytes) {
      this.metrics.refused.inc(records.length);
      return Promise.reject(
        new SpoolFullError(`spool is full (${this.bytes} of ${this.opts.maxBytes} bytes); is the plugin reachable?`),
      );
    }
    this.pendingBytes += bytes;
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ payloads, lengths, bytes, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the current turn of the event loop queue more appends before the first write.
        setImmediate(() => void this.flushLoop());
      }
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const bytes = batch.reduce((n, p) => n + p.bytes, 0);
      this.pendingBytes -= bytes;
      if (this.failure) {
        // Queued before an earlier batch of this loop failed for good: never written after garbage.
        const refused = new SpoolFailedError(`spool failed: ${this.failure.message}`);
        batch.forEach((p) => p.reject(refused));
        continue;
      }
      try {
        await this.rollIfFull();
        const seg = this.segments[this.segments.length - 1]!;
        let seq = this.durableSeq;
        const results: AppendResult[] = [];
        const payloads: string[] = [];
        const lengths: number[] = [];
        for (const p of batch) {
          results.push({ firstSeq: seq + 1, lastSeq: seq + p.payloads.length });
          seq += p.payloads.length;
          for (let i = 0; i < p.payloads.length; i++) {
            payloads.push(p.payloads[i]!);
            lengths.push(p.lengths[i]!);
          }
        }
        const buf = encodeRecords(this.durableSeq + 1, payloads, lengths);
        await this.writeDurably(seg, buf);
        seg.size += buf.length;
        this.bytes += buf.length;
        this.durableSeq = seq;
        this.noteAppendTime(seq);
        this.metrics.fsyncs.inc();
        this.fill.update(this.bytes, this.opts.maxBytes);
        batch.forEach((p, i) => p.resolve(results[i]!));
        for (const listener of this.appendListeners) listener();
      } catch (err) {
        const failure = new OperationalError(`spool write failed: ${errorMessage(err)}`, { cause: err });
        this.opts.logger.error('spool: write failed; records not acknowledged', { error: errorMessage(err) });
        batch.forEach((p) => p.reject(failure));
      }
    }
    this.flushing = false;
  }

  private async writeDurably(seg: Segment, buf: Buffer): Promise<void> {
    try {
      if (seg.size + buf.length > seg.allocated) await this.preallocate(seg, seg.size + buf.length);
      let off = 0;
      while (off < buf.length) off += await this.opts.io.write(this.fh, buf, off, buf.length - off, seg.size + off);
      if (O_DSYNC === undefined) await this.fh.datasync();
    } catch (err) {
      // Cut the file back to its last durable size so a half-written batch cannot later be read
      // as records that were never acknowledged. If even that fails, later appends would land
      // after garbage: readers would stop there and recovery would cut records already answered
      // to NASes. So the spool stops taking records (NASes retry) until the cut succeeds.
      try {
        await this.opts.io.truncate(seg.path, seg.size);
        seg.allocated = seg.size;
      } catch (cutErr) {
        this.failure = new Error(`${errorMessage(err)}, and cutting back the torn write failed: ${errorMessage(cutErr)}`);
        this.lastRepairAt = this.opts.clock.now().getTime();
        this.opts.logger.error('spool: FAILED; refusing records until the torn write is cut back (NASes retry, nothing is acknowledged)', {
          segment: seg.path,
          error: this.failure.message,
        });
      }
      throw err;
    }
  }

  /** Writes zeros (durably) from the segment's allocated end to past `need` bytes (PREALLOCATE_BYTES). */
  private async preallocate(seg: Segment, need: number): Promise<void> {
    const target = need + Math.min(PREALLOCATE_BYTES, this.opts.segmentBytes);
    zeros ??= Buffer.alloc(PREALLOCATE_BYTES);
    let at = seg.allocated;
    while (at < target) at += await this.opts.io.write(this.fh, zeros, 0, Math.min(zeros.length, target - at), at);
    if (O_DSYNC === undefined) await this.fh.datasync();
    seg.allocated = target;
  }

  /** Cuts the zeros written ahead off the segment being written (before it is closed or rolled over). */
  private async trimTail(seg: Segment): Promise<void> {
    if (seg.allocated === seg.size) return;
    await this.opts.io.truncate(seg.path, seg.size);
    await this.fh.datasync();
    seg.allocated = seg.size;
  }

  /** At most once per repairIntervalMs, while failed: cut the torn bytes back and take records again. */
  private tryRepair(): void {
    const now = this.opts.clock.now().getTime();
    if (this.repairing || now - this.lastRepairAt < this.opts.repairIntervalMs) return;
    this.lastRepairAt = now;
    const seg = this.segments[this.segments.length - 1]!;
    this.repairing = (async () => {
      try {
        await this.opts.io.truncate(seg.path, seg.size);
        await this.fh.datasync();
        if ((await stat(seg.path)).size !== seg.size) throw new Error('segment size differs after the cut');
        seg.allocated = seg.size;
        this.opts.logger.warn('spool: repaired; taking records again', { segment: seg.path, previousFailure: this.failure?.message });
        this.failure = undefined;
      } catch (err) {
        this.opts.logger.error('spool: still failed; refusing records', { error: errorMessage(err) });
      } finally {
        this.repairing = undefined;
      }
    })();
  }

  /** Settles once a repair attempt under way has finished (tests, shutdown). */
  async repaired(): Promise<void> {
    await this.repairing;
  }

  private async rollIfFull(): Promise<void> {
    const cur = this.segments[this.segments.length - 1]!;
    if (cur.size < this.opts.segmentBytes) return;
    // Only the last segment may hold zeros past its records (open reads the others' sizes from disk).
    await this.trimTail(cur);
    const firstSeq = this.durableSeq + 1;
    const path = join(this.opts.dir, segmentName(firstSeq));
    const fh = await open(path, WRITE_FLAGS);
    await syncDir(this.opts.dir);
    await this.fh.close();
    this.fh = fh;
    this.segments.push({ firstSeq, path, size: 0, allocated: 0 });
  }

  private noteAppendTime(lastSeq: number): void {
    const now = this.opts.clock.now().getTime();
    const tail = this.appendTimes[this.appendTimes.length - 1];
    if (tail && now - tail.at < 1000) tail.lastSeq = lastSeq;
    else this.appendTimes.push({ lastSeq, at: now });
  }

  /** Records with seq > afterSeq that are durable, oldest first, at most `max`. */
  async read(afterSeq: number, max: number): Promise<SpoolEntry[]> {
    const out: SpoolEntry[] = [];
    let want = Math.max(afterSeq + 1, this.segments[0]!.firstSeq);
    while (out.length < max && want <= this.durableSeq) {
      const idx = this.segmentIndexOf(want);
      const seg = this.segments[idx]!;
      const segEndSeq = idx + 1 < this.segments.length ? this.segments[idx + 1]!.firstSeq - 1 : this.durableSeq;
      const cache = this.readCache;
      let offset = cache && cache.nextSeq === want && cache.segFirst === seg.firstSeq ? cache.offset : 0;
      const fh = await open(seg.path, 'r');
      try {
        let chunk = READ_CHUNK;
        while (out.length < max && want <= segEndSeq && offset < seg.size) {
          const len = Math.min(chunk, seg.size - offset);
          const buf = Buffer.allocUnsafe(len);
          const { bytesRead } = await fh.read(buf, 0, len, offset);
          const decoded = decodeRecords(buf.subarray(0, bytesRead));
          if (decoded.records.length === 0) {
            if (offset + len >= seg.size) throw new OperationalError(`spool: corrupt record in ${seg.path} at ${offset}`);
            chunk *= 2; // one record larger than the chunk
            continue;
          }
          let consumed = 0;
          for (const r of decoded.records) {
            if (out.length >= max) break;
            if (r.seq >= want) {
              out.push({ seq: r.seq, record: JSON.parse(r.payload.toString('utf8')) as SessionObservation });
              want = r.seq + 1;
            }
            consumed = r.end;
          }
          offset += consumed;
          chunk = READ_CHUNK;
        }
      } finally {
        await fh.close();
      }
      this.readCache = { nextSeq: want, segFirst: seg.firstSeq, offset };
      if (want <= segEndSeq && out.length < max) break;
    }
    return out;
  }

  private segmentIndexOf(seq: number): number {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.firstSeq <= seq) return i;
    return 0;
  }

  /** Reads every durable record after `afterSeq` (acknowledged or not, as long as it is still on disk). */
  async scan(afterSeq: number, onEntry: (e: SpoolEntry) => void, chunk = 5000): Promise<void> {
    let after = afterSeq;
    for (;;) {
      const entries = await this.read(after, chunk);
      if (entries.length === 0) return;
      for (const e of entries) onEntry(e);
      after = entries[entries.length - 1]!.seq;
    }
  }

  /** Records not yet acknowledged, oldest first. */
  readUnacked(max: number): Promise<SpoolEntry[]> {
    return this.read(this.ackedSeq, max);
  }

  /** The plugin acknowledged everything up to `seq`: persist the cursor, then free whole segments. */
  ack(seq: number): Promise<void> {
    const run = this.ackChain.then(async () => {
      const upto = Math.min(seq, this.durableSeq);
      if (upto <= this.ackedSeq) return;
      await writeFileDurably(this.opts.dir, 'ack.json', JSON.stringify({ ackedSeq: upto }) + '\n');
      this.ackedSeq = upto;
      while (this.appendTimes.length > 0 && this.appendTimes[0]!.lastSeq <= upto) this.appendTimes.shift();
      await this.deleteReleasedSegments();
    });
    this.ackChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Keeps records after `seq` on disk even once acknowledged: a local reader (the RADIUS session
   * book) replays them after a restart. `null` releases the hold.
   */
  async setHold(name: string, seq: number | null): Promise<void> {
    if (seq === null) this.holds.delete(name);
    else this.holds.set(name, seq);
    await this.ackChain;
    await this.deleteReleasedSegments();
  }

  private async deleteReleasedSegments(): Promise<void> {
    let floor = this.ackedSeq;
    for (const h of this.holds.values()) floor = Math.min(floor, h);
    // The last segment is the one being written; it goes once it has rolled over.
    while (this.segments.length > 1 && this.segments[1]!.firstSeq - 1 <= floor) {
      const seg = this.segments.shift()!;
      await unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.bytes -= seg.size;
      if (this.readCache?.segFirst === seg.firstSeq) this.readCache = undefined;
    }
    this.fill.update(this.bytes, this.opts.maxBytes);
  }

  /** Called after each durable append; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  get lastDurableSeq(): number {
    return this.durableSeq;
  }

  stats(): SpoolStats {
    const oldest = this.appendTimes[0];
    return {
      depth: this.durableSeq - this.ackedSeq,
      bytes: this.bytes,
      maxBytes: this.opts.maxBytes,
      ackedSeq: this.ackedSeq,
      lastSeq: this.durableSeq,
      lagMs: oldest && this.durableSeq > this.ackedSeq ? Math.max(0, this.opts.clock.now().getTime() - oldest.at) : 0,
      failed: this.failure?.message ?? null,
    };
  }

  /** Waits for queued appends to reach disk, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setImmediate(r));
    await this.repairing;
    await this.ackChain;
    if (!this.failure) {
      await this.trimTail(this.segments[this.segments.length - 1]!).catch((err: unknown) => {
        // Left for recovery to cut on the next open.
        this.opts.logger.warn('spool: cannot cut the zeros past the last record at close', { error: errorMessage(err) });
      });
    }
    await this.fh.close();
  }
}
