import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock } from '../../common/clock.js';

/**
 * The demo's clock, shared by the simulated routers and NAS, the agent and the plugin, so that
 * every part agrees on what time it is. It runs with the wall clock, but the demo's story makes
 * it jump ahead (to the end of the month, to the billing day, past a due date): the routers'
 * counters then grow by what the subscribers moved over the time jumped, and invoices, due dates
 * and dunning follow. It never goes back. The offset is kept in a file beside the demo's
 * database, so that a restarted demo continues at the time it had reached.
 */
export class DemoClock implements Clock {
  private offsetMs = 0;
  private at: number | null = null;
  /**
   * When this demo database first started: the months it seeds and bills at start are counted
   * from here, so a restart after the story moved the clock bills nothing new at start.
   */
  readonly firstStart: Date;

  constructor(private readonly file: string | null = null) {
    let first = Date.now();
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { offsetMs?: unknown; firstStartMs?: unknown };
      if (typeof saved.offsetMs === 'number' && Number.isFinite(saved.offsetMs) && saved.offsetMs >= 0) this.offsetMs = saved.offsetMs;
      if (typeof saved.firstStartMs === 'number' && Number.isFinite(saved.firstStartMs)) first = saved.firstStartMs;
    }
    this.firstStart = new Date(first);
    this.save();
  }

  now(): Date {
    return new Date(this.at ?? Date.now() + this.offsetMs);
  }

  /** How far ahead of the wall clock the demo is. */
  get aheadMs(): number {
    return this.offsetMs;
  }

  /** Moves the demo's time forward to `to` (never back) and keeps running from there. */
  jumpTo(to: Date): void {
    const offset = to.getTime() - Date.now();
    if (offset <= this.offsetMs) return;
    this.offsetMs = offset;
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ offsetMs: this.offsetMs, firstStartMs: this.firstStart.getTime() }) + '\n');
    renameSync(tmp, this.file);
  }

  /**
   * Holds the clock at `at` while `fn` runs: the demo issues an older month as if on its billing
   * day, before any traffic or agent runs.
   */
  async during<T>(at: Date, fn: () => Promise<T>): Promise<T> {
    this.at = at.getTime();
    try {
      return await fn();
    } finally {
      this.at = null;
    }
  }
}
