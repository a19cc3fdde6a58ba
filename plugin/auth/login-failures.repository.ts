import { Op, type Transaction } from 'sequelize';
import type { Models } from '../db/models/index.js';
import type { ThrottleScope } from './login-throttle.js';

/** Failed logins by counter key (login-throttle.ts), in the `login_failures` table. */
export class LoginFailuresRepository {
  constructor(private readonly models: Pick<Models, 'LoginFailure'>) {}

  async record(entries: ReadonlyArray<{ keyHash: string; scope: ThrottleScope }>, at: Date, transaction?: Transaction): Promise<void> {
    await this.models.LoginFailure.bulkCreate(entries.map((e) => ({ keyHash: e.keyHash, scope: e.scope, at })), { transaction });
  }

  /**
   * The times of failures after `since` for each key. Few rows: an attempt refused by the limit
   * is never verified nor recorded, so a key holds at most its limit (plus attempts in flight).
   */
  async recentByKey(keyHashes: readonly string[], since: Date, transaction?: Transaction): Promise<Map<string, Date[]>> {
    const rows = await this.models.LoginFailure.findAll({
      attributes: ['keyHash', 'at'],
      where: { keyHash: { [Op.in]: [...keyHashes] }, at: { [Op.gt]: since } },
      transaction,
    });
    const out = new Map<string, Date[]>(keyHashes.map((k) => [k, []]));
    for (const r of rows) out.get(String(r.get('keyHash')))?.push(new Date(r.get('at') as Date));
    return out;
  }

  async clear(keyHash: string, transaction?: Transaction): Promise<void> {
    await this.models.LoginFailure.destroy({ where: { keyHash }, transaction });
  }

  /** Removes failures older than `before`; returns how many. */
  async prune(before: Date, transaction?: Transaction): Promise<number> {
    return this.models.LoginFailure.destroy({ where: { at: { [Op.lt]: before } }, transaction });
  }
}
