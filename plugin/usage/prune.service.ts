import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Database } from '../db/database.js';
import { comparePoints, pruneSplit } from './counters.js';
import type { HourUsage } from './hour-split.js';
import { sessionUsage } from './session-usage.js';
import type { UsageRepository } from './usage.repository.js';

export interface PruneStats {
  sessions: number;
  observations: number;
}

/**
 * Retention: raw observations older than the policy are deleted once rolled up. A session's
 * pruned observations become frozen hours (part 0) and its last pruned observation the anchor
 * the remaining ones continue from (counters.ts rule 5). Frozen + live hours equal the hours
 * before pruning, interval for interval, so usage_hourly does not change.
 */
export class PruneService {
  constructor(private readonly deps: { db: Database; usage: UsageRepository; clock: Clock; logger: Logger }) {}

  /** `fence` runs first in each chunk's transaction (the job proves its lease there). */
  async prune(retentionDays: number, options: { fence?: (t: Transaction) => Promise<void> } = {}): Promise<PruneStats> {
    const cutoffMs = this.deps.clock.now().getTime() - retentionDays * 86_400_000;
    const stats: PruneStats = { sessions: 0, observations: 0 };
    for (;;) {
      const keys = await this.deps.usage.prunableSessionKeys(cutoffMs, 200);
      if (keys.length === 0) break;
      const done = await this.deps.db.transaction(async (t) => {
        await options.fence?.(t);
        const { usage } = this.deps;
        const sessions = await usage.loadSessions(keys, t);
        const observations = await usage.loadObservations(keys, t);
        let sessionsDone = 0;
        let deleted = 0;
        for (const key of keys) {
          const session = sessions.get(key);
          const points = observations.filter((o) => o.sessionKey === key);
          // Not rolled up yet: the rollup goes first (the job runs it just before).
          if (!session || session.id === null || points.some((p) => !p.rolledUp)) continue;
          const anchor = session.anchor;
          const usable = anchor ? points.filter((p) => comparePoints(p, anchor) > 0) : points;
          const split = pruneSplit(usable, cutoffMs, anchor);
          if (split) {
            const frozenAdd = sessionUsage(split.pruned.map((p) => ({ ...p, ended: false, framedIp: null })), anchor, session.sessionStartMs).hours;
            const frozen = await usage.loadSessionHours(session.id, 0, t);
            for (const [h, u] of frozenAdd) {
              const cur: HourUsage = frozen.get(h) ?? { download: 0n, upload: 0n };
              frozen.set(h, { download: cur.download + u.download, upload: cur.upload + u.upload });
            }
            const kept = usable.filter((p) => p.atMs > cutoffMs);
            const live = sessionUsage(kept, split.anchor, null).hours;
            await usage.replaceSessionHours(0, new Map([[session.id, frozen]]), t);
            await usage.replaceSessionHours(1, new Map([[session.id, live]]), t);
            const a = split.anchor;
            await usage.saveSessions([{ ...session, anchor: { atMs: a.atMs, download: a.download, upload: a.upload } }], this.deps.clock.now(), t);
          }
          const gone = points.filter((p) => p.atMs <= cutoffMs).map((p) => p.id);
          await usage.deleteObservations(gone, t);
          deleted += gone.length;
          sessionsDone++;
        }
        return { sessionsDone, deleted };
      });
      stats.sessions += done.sessionsDone;
      stats.observations += done.deleted;
      if (done.sessionsDone === 0) break;
    }
    if (stats.observations > 0) this.deps.logger.info('raw observations pruned', { ...stats });
    return stats;
  }
}
