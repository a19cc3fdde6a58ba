import { Op, type Transaction } from 'sequelize';
import { generateToken, hashToken } from '../common/secret-token.js';
import type { Models } from '../db/models/index.js';
import { isRole, type Role } from './roles.js';

export interface ApiTokenInfo {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}


function toInfo(v: Record<string, unknown>): ApiTokenInfo {
  if (!isRole(v.role)) throw new Error(`token ${String(v.id)} has unknown role`);
  return {
    id: Number(v.id),
    name: String(v.name),
    prefix: String(v.prefix),
    role: v.role,
    createdBy: String(v.createdBy),
    createdAt: new Date(v.createdAt as Date),
    lastUsedAt: v.lastUsedAt ? new Date(v.lastUsedAt as Date) : null,
    revokedAt: v.revokedAt ? new Date(v.revokedAt as Date) : null,
  };
}

export class ApiTokensRepository {
  constructor(private readonly models: Pick<Models, 'ApiToken'>) {}

  /** Stores a new token and returns it in clear, the only time it is ever available. */
  async create(
    input: { name: string; role: Role; createdBy: string; createdAt: Date },
    transaction?: Transaction,
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const token = generateToken('api');
    const row = await this.models.ApiToken.create(
      { ...input, tokenHash: hashToken(token), prefix: token.slice(0, 12) },
      { transaction },
    );
    return { token, info: toInfo(row.get({ plain: true })) };
  }

  async findActiveByToken(token: string, transaction?: Transaction): Promise<ApiTokenInfo | null> {
    const row = await this.models.ApiToken.findOne({
      where: { tokenHash: hashToken(token), revokedAt: { [Op.is]: null } },
      transaction,
    });
    return row ? toInfo(row.get({ plain: true })) : null;
  }

  async findById(id: number, transaction?: Transaction): Promise<ApiTokenInfo | null> {
    const row = await this.models.ApiToken.findByPk(id, { transaction });
    return row ? toInfo(row.get({ plain: true })) : null;
  }

  async touch(id: number, at: Date): Promise<void> {
    await this.models.ApiToken.update({ lastUsedAt: at }, { where: { id } });
  }

  async revoke(id: number, at: Date, transaction?: Transaction): Promise<boolean> {
    const [n] = await this.models.ApiToken.update({ revokedAt: at }, { where: { id, revokedAt: { [Op.is]: null } }, transaction });
    return n > 0;
  }

  async list(transaction?: Transaction): Promise<ApiTokenInfo[]> {
    const rows = await this.models.ApiToken.findAll({ order: [['id', 'ASC']], transaction });
    return rows.map((r) => toInfo(r.get({ plain: true })));
  }
}
