import { createHash } from 'node:crypto';
import session from 'express-session';
import { Op } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Models } from '../db/models/index.js';

type Callback = (err?: unknown, value?: session.SessionData | null) => void;

/**
 * express-session store on the `web_sessions` table: sessions survive a restart and are shared by
 * every plugin instance behind a load balancer. Rows are keyed by the SHA-256 of the session id,
 * so someone who can read the table (a backup, a replica) cannot use the ids in it.
 */
function key(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

/** A stored session express-session can use: an object with a cookie object, or nothing. */
export function parseSessionData(text: string): session.SessionData | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const cookie = (value as { cookie?: unknown }).cookie;
  if (typeof cookie !== 'object' || cookie === null || Array.isArray(cookie)) return null;
  return value as session.SessionData;
}

/** Bound on the expiries remembered between a request's read and its touch. */
const MAX_PENDING = 10_000;

export class DatabaseSessionStore extends session.Store {
  private lastSweep = 0;
  /**
   * The expiry each session had when this request read it, until the request touches it. A
   * rolling session is touched by every request; writing the row each time would turn every
   * page view into a database write, so the row's expiry only moves once it lags the cookie's by
   * `touchEveryMs` (the session may then end in the database that much before its cookie would).
   * Only an optimisation: a miss just writes.
   */
  private readonly readExpiry = new Map<string, number>();
  private readonly touchEveryMs: number;

  constructor(
    private readonly models: Pick<Models, 'WebSession'>,
    private readonly clock: Clock,
    private readonly defaultTtlMs: number,
    private readonly logger?: Logger,
  ) {
    super();
    this.touchEveryMs = Math.min(5 * 60_000, Math.floor(defaultTtlMs / 10));
  }

  override get(sid: string, cb: Callback): void {
    this.read(sid).then(
      (data) => cb(null, data),
      (err) => cb(err),
    );
  }

  private async read(sid: string): Promise<session.SessionData | null> {
    const row = await this.models.WebSession.findByPk(key(sid));
    if (!row) return null;
    const expires = new Date(row.get('expiresAt') as Date).getTime();
    if (!(expires > this.clock.now().getTime())) return null;
    const data = parseSessionData(String(row.get('data')));
    if (!data) {
      // A row we cannot read is no session (the visitor logs in again), never a server error.
      this.logger?.warn('unreadable session row ignored and removed');
      await this.models.WebSession.destroy({ where: { sid: key(sid) } }).catch(() => undefined);
      return null;
    }
    if (this.readExpiry.size >= MAX_PENDING) this.readExpiry.clear();
    this.readExpiry.set(sid, expires);
    return data;
  }

  override set(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    this.readExpiry.delete(sid);
    this.models.WebSession.upsert({ sid: key(sid), expiresAt: this.expiryOf(data), data: JSON.stringify(data) })
      .then(() => this.sweep())
      .then(() => cb?.())
      .catch((err) => cb?.(err));
  }

  override touch(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    const stored = this.readExpiry.get(sid);
    this.readExpiry.delete(sid);
    const expiresAt = this.expiryOf(data);
    if (stored !== undefined && expiresAt.getTime() - stored < this.touchEveryMs) {
      cb?.();
      return;
    }
    this.models.WebSession.update({ expiresAt }, { where: { sid: key(sid) } })
      .then(() => cb?.())
      .catch((err) => cb?.(err));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.readExpiry.delete(sid);
    this.models.WebSession.destroy({ where: { sid: key(sid) } })
      .then(() => cb?.())
      .catch((err) => cb?.(err));
  }

  private expiryOf(data: session.SessionData): Date {
    const cookieExpiry = data.cookie?.expires ? new Date(data.cookie.expires) : null;
    return cookieExpiry && !Number.isNaN(cookieExpiry.getTime()) ? cookieExpiry : new Date(this.clock.now().getTime() + this.defaultTtlMs);
  }

  /** Removes expired sessions at most every 10 minutes, piggy-backing on writes. */
  private async sweep(): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - this.lastSweep < 10 * 60_000) return;
    this.lastSweep = now;
    await this.models.WebSession.destroy({ where: { expiresAt: { [Op.lt]: new Date(now) } } });
  }
}
