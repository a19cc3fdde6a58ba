import { createHash } from 'node:crypto';
import session from 'express-session';
import { Op } from 'sequelize';
import type { Clock } from '../common/clock.js';
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

export class DatabaseSessionStore extends session.Store {
  private lastSweep = 0;

  constructor(
    private readonly models: Pick<Models, 'WebSession'>,
    private readonly clock: Clock,
    private readonly defaultTtlMs: number,
  ) {
    super();
  }

  override get(sid: string, cb: Callback): void {
    this.models.WebSession.findByPk(key(sid))
      .then((row) => {
        if (!row) return cb(null, null);
        const expires = new Date(row.get('expiresAt') as Date);
        if (expires.getTime() <= this.clock.now().getTime()) return cb(null, null);
        cb(null, JSON.parse(String(row.get('data'))) as session.SessionData);
      })
      .catch((err) => cb(err));
  }

  override set(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    this.models.WebSession.upsert({ sid: key(sid), expiresAt: this.expiryOf(data), data: JSON.stringify(data) })
      .then(() => this.sweep())
      .then(() => cb?.())
      .catch((err) => cb?.(err));
  }

  override touch(sid: string, data: session.SessionData, cb?: (err?: unknown) => void): void {
    this.models.WebSession.update({ expiresAt: this.expiryOf(data) }, { where: { sid: key(sid) } })
      .then(() => cb?.())
      .catch((err) => cb?.(err));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.models.WebSession.destroy({ where: { sid: key(sid) } })
      .then(() => cb?.())
      .catch((err) => cb?.(err));
  }

  private expiryOf(data: session.SessionData): Date {
    const cookieExpiry = data.cookie?.expires ? new Date(data.cookie.expires) : null;
    return cookieExpiry ?? new Date(this.clock.now().getTime() + this.defaultTtlMs);
  }

  /** Removes expired sessions at most every 10 minutes, piggy-backing on writes. */
  private async sweep(): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - this.lastSweep < 10 * 60_000) return;
    this.lastSweep = now;
    await this.models.WebSession.destroy({ where: { expiresAt: { [Op.lt]: new Date(now) } } });
  }
}
