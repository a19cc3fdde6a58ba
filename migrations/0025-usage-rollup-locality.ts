import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * The rollup's hot path (issue 12 item 18): each round marks every observation it folds in as
 * rolled up. With `rolled_up` in the per-session index (session_key, rolled_up), that flag's
 * change moved one entry per observation to a random place of a large index (one buffer-pool
 * miss per observation at 100,000 sessions). The per-session index is now (session_key) alone
 * (InnoDB keeps the primary key in it, so a session's observations are still one range), and
 * the flag's change touches only the row (recent, so in memory) and `usage_observations_pending`
 * (rolled_up), where entries leave the small pending part and append at the end of the rest.
 * Nothing read the pair (session_key, rolled_up) as a pair on the hot path: the pending
 * observations are read through (rolled_up) in id order.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  const names = async () => ((await q.showIndex('usage_observations')) as Array<{ name: string }>).map((i) => i.name);
  if (!(await names()).includes('usage_observations_session_key')) {
    await q.addIndex('usage_observations', ['session_key'], { name: 'usage_observations_session_key' });
  }
  if ((await names()).includes('usage_observations_session')) {
    await q.removeIndex('usage_observations', 'usage_observations_session');
  }
}
