import type { Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import { isDuplicateKey } from '../db/database.js';
import type { Models } from '../db/models/index.js';

/** Key/value settings kept in the database, shared by every plugin instance. */
export class SettingsRepository {
  constructor(
    private readonly models: Pick<Models, 'Setting'>,
    private readonly clock: Clock,
  ) {}

  async get(key: string, transaction?: Transaction): Promise<string | null> {
    const row = await this.models.Setting.findByPk(key, { transaction });
    return row ? String(row.get('value')) : null;
  }

  async set(key: string, value: string, transaction?: Transaction): Promise<void> {
    await this.models.Setting.upsert({ key, value, updatedAt: this.clock.now() }, { transaction });
  }

  /**
   * Returns the stored value, or stores `create()` and returns it. Two instances racing both get
   * the value that won (the loser's insert hits the primary key).
   */
  async getOrCreate(key: string, create: () => string): Promise<string> {
    const existing = await this.get(key);
    if (existing !== null) return existing;
    try {
      await this.models.Setting.create({ key, value: create(), updatedAt: this.clock.now() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    return (await this.get(key))!;
  }
}
