import { Op, QueryTypes, type Model, type Transaction, type WhereOptions } from 'sequelize';
import type { Models } from '../db/models/index.js';
import { likeEscape } from './accounts.repository.js';
import type { ServiceStatus } from './validation.js';

export interface Service {
  id: number;
  accountId: number;
  login: string;
  tariff: string | null;
  nasName: string | null;
  status: ServiceStatus;
  startDate: string;
  endDate: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewService {
  accountId: number;
  login: string;
  tariff: string | null;
  nasName: string | null;
  status: 'active' | 'suspended';
  startDate: string;
}

export interface ServiceFilter {
  accountId?: number;
  /** Login starts with. */
  login?: string;
  nasName?: string;
  status?: ServiceStatus;
}

function dateOnly(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).slice(0, 10);
}

export function toService(m: Model): Service {
  const v = m.get({ plain: true }) as Record<string, unknown>;
  return {
    id: Number(v.id),
    accountId: Number(v.accountId),
    login: String(v.login),
    tariff: v.tariff === null || v.tariff === undefined ? null : String(v.tariff),
    nasName: v.nasName === null || v.nasName === undefined ? null : String(v.nasName),
    status: String(v.status) as ServiceStatus,
    startDate: dateOnly(v.startDate)!,
    endDate: dateOnly(v.endDate),
    createdAt: new Date(v.createdAt as Date),
    updatedAt: new Date(v.updatedAt as Date),
  };
}

/**
 * Services. `live_login` is written here and only here: it equals `login` while the service is
 * not ended and is NULL once it is, so the unique index on it keeps logins unique among live
 * services on both databases.
 */
export class ServicesRepository {
  constructor(private readonly models: Pick<Models, 'Service'>) {}

  async findById(id: number, transaction?: Transaction, lock = false): Promise<Service | null> {
    const row = await this.models.Service.findByPk(id, { transaction, lock: lock && transaction ? transaction.LOCK.UPDATE : undefined });
    return row ? toService(row) : null;
  }

  /** Many services by id in one query per 1,000 ids; ids with no service are absent. */
  async findByIds(ids: number[], transaction?: Transaction): Promise<Map<number, Service>> {
    const out = new Map<number, Service>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 1000) {
      const rows = await this.models.Service.findAll({ where: { id: { [Op.in]: unique.slice(i, i + 1000) } }, transaction });
      for (const r of rows) {
        const s = toService(r);
        out.set(s.id, s);
      }
    }
    return out;
  }

  async findLiveByLogins(logins: string[], transaction?: Transaction): Promise<Map<string, Service>> {
    const out = new Map<string, Service>();
    for (let i = 0; i < logins.length; i += 500) {
      const rows = await this.models.Service.findAll({ where: { liveLogin: logins.slice(i, i + 500) }, transaction });
      for (const r of rows) {
        const s = toService(r);
        out.set(s.login, s);
      }
    }
    return out;
  }

  async listByAccounts(accountIds: number[], transaction?: Transaction): Promise<Service[]> {
    if (!accountIds.length) return [];
    const out: Service[] = [];
    for (let i = 0; i < accountIds.length; i += 500) {
      const rows = await this.models.Service.findAll({ where: { accountId: accountIds.slice(i, i + 500) }, order: [['id', 'ASC']], transaction });
      out.push(...rows.map(toService));
    }
    return out;
  }

  /**
   * Ids of accounts with a service whose days [start_date, end_date] overlap [fromDate, toDate)
   * (local dates; no end date: still running), ascending, after `afterId`: the billing run's keyset.
   */
  async accountsWithServicesIn(fromDate: string, toDate: string, afterId: number, limit: number, transaction?: Transaction): Promise<number[]> {
    const sequelize = this.models.Service.sequelize!;
    const rows = await sequelize.query<{ account_id: number | string }>(
      `SELECT DISTINCT account_id FROM services
       WHERE account_id > :afterId AND start_date < :toDate AND (end_date IS NULL OR end_date >= :fromDate)
       ORDER BY account_id LIMIT :limit`,
      { replacements: { afterId, fromDate, toDate, limit }, type: QueryTypes.SELECT, transaction },
    );
    return rows.map((r) => Number(r.account_id));
  }

  /** Ordered by id; keyset on the last id seen. */
  async list(filter: ServiceFilter, page: { limit: number; afterId?: number }, transaction?: Transaction): Promise<Service[]> {
    const sequelize = this.models.Service.sequelize!;
    const and: WhereOptions[] = [];
    if (filter.accountId !== undefined) and.push({ accountId: filter.accountId });
    // Sequelize's Op.like has no ESCAPE clause; the pattern goes through sequelize.escape.
    if (filter.login) and.push(sequelize.literal(`login LIKE ${sequelize.escape(`${likeEscape(filter.login)}%`)} ESCAPE '!'`));
    if (filter.nasName) and.push({ nasName: filter.nasName });
    if (filter.status) and.push({ status: filter.status });
    if (page.afterId !== undefined) and.push({ id: { [Op.gt]: page.afterId } });
    const rows = await this.models.Service.findAll({ where: { [Op.and]: and }, order: [['id', 'ASC']], limit: page.limit, transaction });
    return rows.map(toService);
  }

  /** Many new live services at once (multi-row inserts); returns them by login. */
  async createMany(inputs: NewService[], now: Date, transaction?: Transaction): Promise<Map<string, Service>> {
    const rows = inputs.map((input) => ({ ...input, liveLogin: input.login, endDate: null, createdAt: now, updatedAt: now }));
    for (let i = 0; i < rows.length; i += 1000) await this.models.Service.bulkCreate(rows.slice(i, i + 1000), { transaction });
    return this.findLiveByLogins(inputs.map((i) => i.login), transaction);
  }

  async update(
    id: number,
    patch: Partial<Pick<Service, 'login' | 'tariff' | 'nasName' | 'status' | 'startDate'>>,
    now: Date,
    transaction?: Transaction,
  ): Promise<void> {
    const values: Record<string, unknown> = { ...patch, updatedAt: now };
    if (patch.login !== undefined) values.liveLogin = patch.login;
    await this.models.Service.update(values, { where: { id, status: { [Op.ne]: 'ended' } }, transaction });
  }

  async end(id: number, endDate: string, now: Date, transaction?: Transaction): Promise<void> {
    await this.models.Service.update({ status: 'ended', endDate, liveLogin: null, updatedAt: now }, { where: { id }, transaction });
  }
}
