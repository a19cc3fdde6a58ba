import type { MigrationContext } from '../plugin/db/migrator.js';

/**
 * The rollup's round rewrites every live session's row (its latest observation: last_observed_at
 * and the counters). `usage_sessions_live` was (source_name, ended, last_observed_at), so each
 * round also moved one entry of that index per session (a delete-marked entry, a new one, and
 * the purge's work on the old one later): on the rollup bench's 100,000 sessions, the session
 * upserts took about twice the database's CPU with it (8-10 s against 4.5-5 s for a pass over
 * all sessions, measured alternately on the same table).
 *
 * The index is now (ended, source_name, login): nothing in it changes while a session runs
 * (only `ended`, once). It still serves the live list (usage/queries.ts liveSessions: ended = 0,
 * optionally one source_name, ORDER BY source_name, login), now in the list's order, so a
 * limited list stops after its rows; last_observed_at (the live window) is checked on each
 * not-ended session's row instead of being a range of the index. The usage_hourly indexes that
 * billing reads are not touched.
 */
export async function up({ queryInterface: q }: MigrationContext): Promise<void> {
  const names = async () => ((await q.showIndex('usage_sessions')) as Array<{ name: string }>).map((i) => i.name);
  if (!(await names()).includes('usage_sessions_running')) {
    await q.addIndex('usage_sessions', ['ended', 'source_name', 'login'], { name: 'usage_sessions_running' });
  }
  if ((await names()).includes('usage_sessions_live')) {
    await q.removeIndex('usage_sessions', 'usage_sessions_live');
  }
}
