import type { Clock } from '../../plugin/common/clock.js';
import type { SessionObservation } from '../../plugin/common/wire.js';
import type { ObservationSink } from '../types.js';

/** What the activity needs of the spool: appends that say where they landed. */
export interface SeqSink {
  appendWithSeq(records: SessionObservation[]): Promise<{ firstSeq: number; lastSeq: number }>;
}

interface Mark {
  at: number;
  seq: number;
}

/**
 * Sits between the RADIUS server and the spool and notes, per NAS, when its records arrived and
 * where they landed, so that the status report can say when each NAS was last heard and through
 * which instant all its records are acknowledged. Marks are coalesced to one per second per NAS,
 * so a busy NAS costs a few entries, not one per packet.
 */
export class NasActivity implements ObservationSink {
  private readonly marks = new Map<string, Mark[]>();
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly spool: SeqSink,
    private readonly clock: Clock,
  ) {}

  async append(records: SessionObservation[]): Promise<void> {
    const at = this.clock.now().getTime();
    const { lastSeq } = await this.spool.appendWithSeq(records);
    let previous: string | undefined;
    for (const r of records) {
      if (r.sourceName === previous) continue;
      previous = r.sourceName;
      this.note(r.sourceName, at, lastSeq);
    }
  }

  private note(nas: string, at: number, seq: number): void {
    this.lastSeen.set(nas, Math.max(at, this.lastSeen.get(nas) ?? 0));
    let list = this.marks.get(nas);
    if (!list) this.marks.set(nas, (list = []));
    const tail = list[list.length - 1];
    if (tail && at - tail.at < 1000 && at >= tail.at) {
      tail.at = at;
      tail.seq = Math.max(tail.seq, seq);
    } else {
      list.push({ at, seq });
    }
  }

  /** When the NAS's last recorded packet arrived, and through when all its records are acknowledged. */
  status(nas: string, ackedSeq: number): { lastSeenAt: Date | null; completeThrough: Date | null } {
    const seen = this.lastSeen.get(nas);
    const list = this.marks.get(nas) ?? [];
    let complete: number | null = null;
    let drop = 0;
    for (let i = 0; i < list.length && list[i]!.seq <= ackedSeq; i++) {
      complete = list[i]!.at;
      drop = i;
    }
    // The newest acknowledged mark stays: it is the answer until a later one is acknowledged.
    if (drop > 0) list.splice(0, drop);
    return { lastSeenAt: seen === undefined ? null : new Date(seen), completeThrough: complete === null ? null : new Date(complete) };
  }
}
