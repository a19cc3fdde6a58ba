import { Op, type Transaction } from 'sequelize';
import { generateToken, hashToken } from '../common/secret-token.js';
import type { Models } from '../db/models/index.js';

export interface QuarantinedInfo {
  agentName: string;
  batchId: string;
  recordIndex: number;
  recordId: string | null;
  reason: string;
  receivedAt: Date;
}

export interface AgentInfo {
  id: number;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

function toInfo(v: Record<string, unknown>): AgentInfo {
  return {
    id: Number(v.id),
    name: String(v.name),
    prefix: String(v.prefix),
    createdBy: String(v.createdBy),
    createdAt: new Date(v.createdAt as Date),
    lastSeenAt: v.lastSeenAt ? new Date(v.lastSeenAt as Date) : null,
    revokedAt: v.revokedAt ? new Date(v.revokedAt as Date) : null,
  };
}

/** Agents and their bearer tokens; only the token's SHA-256 is stored. */
export class AgentsRepository {
  constructor(private readonly models: Pick<Models, 'Agent' | 'QuarantinedRecord'>) {}

  /** The latest quarantined records (rejected by the ingest, kept with their reason). */
  async latestQuarantined(limit: number): Promise<QuarantinedInfo[]> {
    const rows = await this.models.QuarantinedRecord.findAll({ order: [['id', 'DESC']], limit });
    const names = new Map((await this.models.Agent.findAll()).map((a) => [Number(a.get('id')), String(a.get('name'))]));
    return rows.map((r) => {
      const v = r.get({ plain: true }) as Record<string, unknown>;
      return {
        agentName: names.get(Number(v.agentId)) ?? String(v.agentId),
        batchId: String(v.batchId),
        recordIndex: Number(v.recordIndex),
        recordId: (v.recordId as string | null) ?? null,
        reason: String(v.reason),
        receivedAt: new Date(v.receivedAt as Date),
      };
    });
  }

  async create(input: { name: string; createdBy: string; createdAt: Date }, transaction?: Transaction): Promise<{ token: string; info: AgentInfo }> {
    const token = generateToken('agent');
    const row = await this.models.Agent.create({ ...input, tokenHash: hashToken(token), prefix: token.slice(0, 14) }, { transaction });
    return { token, info: toInfo(row.get({ plain: true })) };
  }

  async findActiveByToken(token: string): Promise<AgentInfo | null> {
    const row = await this.models.Agent.findOne({ where: { tokenHash: hashToken(token), revokedAt: { [Op.is]: null } } });
    return row ? toInfo(row.get({ plain: true })) : null;
  }

  async findByName(name: string, transaction?: Transaction): Promise<AgentInfo | null> {
    const row = await this.models.Agent.findOne({ where: { name }, transaction });
    return row ? toInfo(row.get({ plain: true })) : null;
  }

  async touch(id: number, at: Date): Promise<void> {
    await this.models.Agent.update({ lastSeenAt: at }, { where: { id } });
  }

  /**
   * Replaces the agent's token in one UPDATE: from its commit the old token matches no row, and
   * the agent keeps its id (so its record-id deduplication scope). A revoked agent becomes active
   * again with the new token. Returns the new token in clear, the only time it is available.
   */
  async rotateToken(id: number, transaction?: Transaction): Promise<{ token: string; prefix: string } | null> {
    const token = generateToken('agent');
    const prefix = token.slice(0, 14);
    const [n] = await this.models.Agent.update({ tokenHash: hashToken(token), prefix, revokedAt: null }, { where: { id }, transaction });
    return n > 0 ? { token, prefix } : null;
  }

  async revoke(id: number, at: Date, transaction?: Transaction): Promise<boolean> {
    const [n] = await this.models.Agent.update({ revokedAt: at }, { where: { id, revokedAt: { [Op.is]: null } }, transaction });
    return n > 0;
  }

  async list(transaction?: Transaction): Promise<AgentInfo[]> {
    const rows = await this.models.Agent.findAll({ order: [['name', 'ASC']], transaction });
    return rows.map((r) => toInfo(r.get({ plain: true })));
  }
}
