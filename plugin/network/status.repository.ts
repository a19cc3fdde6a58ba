import { QueryTypes, type Sequelize } from 'sequelize';
import { isDuplicateKey } from '../db/database.js';
import { agentStatusReport, type AgentStatusReport } from '../common/wire.js';
import type { StoredReport } from './network.js';

/** UTC 'YYYY-MM-DD HH:MM:SS.mmm', read the same way by SQLite and MySQL. */
const sqlTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/** The table agent_status_reports (migration 0007): the latest report per agent. */
export class StatusRepository {
  constructor(private readonly sequelize: Sequelize) {}

  async save(agent: { id: number; name: string }, report: AgentStatusReport, receivedAt: Date): Promise<void> {
    const values = [agent.name, JSON.stringify(report), sqlTime(new Date(report.takenAt)), sqlTime(receivedAt), agent.id];
    const update = () =>
      this.sequelize.query('UPDATE agent_status_reports SET agent_name = ?, report = ?, taken_at = ?, received_at = ? WHERE agent_id = ?', {
        replacements: values,
      });
    const [, meta] = await update();
    if (affected(meta) > 0) return;
    try {
      await this.sequelize.query('INSERT INTO agent_status_reports (agent_name, report, taken_at, received_at, agent_id) VALUES (?, ?, ?, ?, ?)', { replacements: values });
    } catch (err) {
      // Two reports of one agent at once: the other inserted first; ours is as recent.
      if (!isDuplicateKey(err)) throw err;
      await update();
    }
  }

  async all(): Promise<StoredReport[]> {
    const rows = await this.sequelize.query<{ agent_id: number; agent_name: string; report: string; received_at: string | Date }>(
      'SELECT agent_id, agent_name, report, received_at FROM agent_status_reports ORDER BY agent_name',
      { type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({
      agentId: Number(r.agent_id),
      agentName: String(r.agent_name),
      receivedAt: r.received_at instanceof Date ? r.received_at : new Date(String(r.received_at).replace(' ', 'T') + 'Z'),
      report: agentStatusReport.parse(JSON.parse(r.report)),
    }));
  }
}

function affected(meta: unknown): number {
  // SQLite hands back the statement (changes), mysql2 a ResultSetHeader (affectedRows).
  if (typeof meta === 'number') return meta;
  const m = meta as { changes?: number; affectedRows?: number } | undefined;
  return m?.affectedRows ?? m?.changes ?? 0;
}
