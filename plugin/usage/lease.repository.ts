import { Op } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { isDuplicateKey } from '../db/database.js';
import type { Models } from '../db/models/index.js';

/**
 * Database leases: a job runs where it holds the lease, so two plugin instances never roll up
 * or prune at once. A lease expires on its own if its holder dies.
 */
export class LeaseRepository {
  constructor(private readonly models: Pick<Models, 'UsageJobLease'>, private readonly clock: Clock) {}

  /** Takes or renews the lease; false when another holder has it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    const [n] = await this.models.UsageJobLease.update(
      { holder, expiresAt },
      { where: { name, [Op.or]: [{ expiresAt: { [Op.lt]: now } }, { holder }] } },
    );
    if (n > 0) return true;
    try {
      await this.models.UsageJobLease.create({ name, holder, expiresAt });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // MySQL reports 0 affected rows when a renewal wrote identical values (same millisecond).
      const row = await this.models.UsageJobLease.findByPk(name);
      return row !== null && row.get('holder') === holder && new Date(row.get('expiresAt') as Date).getTime() >= expiresAt.getTime();
    }
  }

  async release(name: string, holder: string): Promise<void> {
    await this.models.UsageJobLease.update({ expiresAt: new Date(0) }, { where: { name, holder } });
  }
}
