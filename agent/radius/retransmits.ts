/**
 * Recognises retransmissions (RFC 5080 §2.2.2, applied to accounting): the same NAS, Identifier
 * and Request Authenticator within a window. A request still being written is 'pending' (its
 * duplicate is dropped: the first one will be answered); an answered one is answered again and
 * recorded nothing. The answer itself is not kept (it is cheap to rebuild), only the time.
 *
 * Two generations of maps, swapped every window (or when the newer one reaches half the bound):
 * every operation is O(1), memory is bounded, and nothing iterates over old entries — a single
 * Map used as a FIFO degrades badly as deleted slots pile up at its front.
 */
export type Retransmit = 'pending' | 'answered';

export class RetransmitCache {
  /** Requests being written: few (the ones in flight), so kept apart from the two generations. */
  private readonly pending = new Set<string>();
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private rotatedAt: number;

  /** `now` is the time in ms of the packet being handled (one clock reading per packet). */
  constructor(
    private readonly windowMs: number,
    private readonly maxEntries: number,
    now: number,
  ) {
    this.rotatedAt = now;
  }

  lookup(key: string, now: number): Retransmit | undefined {
    if (this.pending.has(key)) return 'pending';
    this.maybeRotate(now);
    const at = this.current.get(key) ?? this.previous.get(key);
    if (at === undefined) return undefined;
    return now - at > this.windowMs ? undefined : 'answered';
  }

  begin(key: string): void {
    this.pending.add(key);
  }

  answered(key: string, now: number): void {
    this.pending.delete(key);
    this.maybeRotate(now);
    this.previous.delete(key);
    this.current.set(key, now);
  }

  /** The write failed: forget the request so the NAS's retransmission is processed afresh. */
  abandon(key: string): void {
    this.pending.delete(key);
    this.current.delete(key);
    this.previous.delete(key);
  }

  get size(): number {
    return this.pending.size + this.current.size + this.previous.size;
  }

  private maybeRotate(now: number): void {
    if (now - this.rotatedAt < this.windowMs && this.current.size < this.maxEntries / 2) return;
    this.previous = this.current;
    this.current = new Map();
    this.rotatedAt = now;
  }
}
