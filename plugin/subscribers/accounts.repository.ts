import { QueryTypes, type Model, type Transaction } from 'sequelize';
import type { Database } from '../db/database.js';
import type { Models } from '../db/models/index.js';
import type { AccountFields, AccountStatus } from './validation.js';

export interface Account extends AccountFields {
  id: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface AccountFilter {
  /** Any of: name contains, e-mail starts with, external id equals, a service login starts with. */
  q?: string;
  name?: string;
  email?: string;
  externalId?: string;
  login?: string;
  status?: AccountStatus;
}

/** Keyset position: the (name, id) of the last account of the previous page. */
export interface AccountCursor {
  name: string;
  id: number;
}

export function toAccount(m: Model): Account {
  const v = m.get({ plain: true }) as Record<string, unknown>;
  const s = (x: unknown): string | null => (x === null || x === undefined ? null : String(x));
  return {
    id: Number(v.id),
    externalId: s(v.externalId),
    name: String(v.name),
    email: s(v.email),
    phone: s(v.phone),
    addressLine1: s(v.addressLine1),
    addressLine2: s(v.addressLine2),
    city: s(v.city),
    postalCode: s(v.postalCode),
    country: s(v.country),
    taxId: s(v.taxId),
    taxExempt: Boolean(Number(v.taxExempt)),
    taxExemptReason: s(v.taxExemptReason),
    taxName: s(v.taxName),
    taxPercent: s(v.taxPercent),
    paymentTermsDays: v.paymentTermsDays === null || v.paymentTermsDays === undefined ? null : Number(v.paymentTermsDays),
    billingEmail: s(v.billingEmail),
    currency: String(v.currency),
    status: String(v.status) as AccountStatus,
    createdAt: new Date(v.createdAt as Date),
    updatedAt: new Date(v.updatedAt as Date),
  };
}

/** `!` escapes LIKE wildcards the same way on MySQL and SQLite (each needs the ESCAPE clause). */
export function likeEscape(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`);
}

export class AccountsRepository {
  constructor(
    private readonly db: Database,
    private readonly models: Pick<Models, 'Account'>,
  ) {}

  async findById(id: number, transaction?: Transaction, lock = false): Promise<Account | null> {
    const row = await this.models.Account.findByPk(id, { transaction, lock: lock && transaction ? transaction.LOCK.UPDATE : undefined });
    return row ? toAccount(row) : null;
  }

  async findByExternalIds(ids: string[], transaction?: Transaction): Promise<Map<string, Account>> {
    const out = new Map<string, Account>();
    // Chunked: MySQL and SQLite both limit the number of bound parameters per statement.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.models.Account.findAll({ where: { externalId: ids.slice(i, i + 500) }, transaction });
      for (const r of rows) {
        const a = toAccount(r);
        out.set(a.externalId!, a);
      }
    }
    return out;
  }

  async create(fields: AccountFields, now: Date, transaction?: Transaction): Promise<Account> {
    const row = await this.models.Account.create({ ...fields, createdAt: now, updatedAt: now }, { transaction });
    return toAccount(row);
  }

  /** Many new accounts, each with an external id (how they are found again): multi-row inserts. */
  async createMany(list: AccountFields[], now: Date, transaction?: Transaction): Promise<Map<string, Account>> {
    const rows = list.map((f) => {
      if (!f.externalId) throw new Error('createMany needs an external id on every account');
      return { ...f, createdAt: now, updatedAt: now };
    });
    for (let i = 0; i < rows.length; i += 1000) await this.models.Account.bulkCreate(rows.slice(i, i + 1000), { transaction });
    // Ids are read back by external id rather than trusted from the driver's insert id arithmetic.
    return this.findByExternalIds(list.map((f) => f.externalId!), transaction);
  }

  async update(id: number, patch: Partial<AccountFields>, now: Date, transaction?: Transaction): Promise<void> {
    await this.models.Account.update({ ...patch, updatedAt: now }, { where: { id }, transaction });
  }

  /**
   * One page ordered by (name, id). Keyset pagination: the cursor is the last row's (name, id),
   * so page 2,000 costs what page 1 does (no OFFSET), and rows added meanwhile never shift pages.
   */
  async list(filter: AccountFilter, page: { limit: number; after?: AccountCursor }, transaction?: Transaction): Promise<Account[]> {
    const where: string[] = [];
    const r: Record<string, unknown> = {};
    const loginIn = "id IN (SELECT account_id FROM services WHERE login LIKE :%s ESCAPE '!')";
    if (filter.q) {
      r.qContains = `%${likeEscape(filter.q)}%`;
      r.qPrefix = `${likeEscape(filter.q)}%`;
      r.q = filter.q;
      where.push(`(name LIKE :qContains ESCAPE '!' OR email LIKE :qPrefix ESCAPE '!' OR external_id = :q OR ${loginIn.replace('%s', 'qPrefix')})`);
    }
    if (filter.name) {
      r.name = `%${likeEscape(filter.name)}%`;
      where.push("name LIKE :name ESCAPE '!'");
    }
    if (filter.email) {
      r.email = `${likeEscape(filter.email)}%`;
      where.push("email LIKE :email ESCAPE '!'");
    }
    if (filter.externalId) {
      r.externalId = filter.externalId;
      where.push('external_id = :externalId');
    }
    if (filter.login) {
      r.login = `${likeEscape(filter.login)}%`;
      where.push(loginIn.replace('%s', 'login'));
    }
    if (filter.status) {
      r.status = filter.status;
      where.push('status = :status');
    }
    if (page.after) {
      r.afterName = page.after.name;
      r.afterId = page.after.id;
      where.push('(name > :afterName OR (name = :afterName AND id > :afterId))');
    } else if (!filter.q && !filter.name && !filter.email && !filter.externalId && !filter.login) {
      // Always true (names are NOT NULL), but it turns the first page into a range on the (name)
      // index: without it MariaDB sorts the whole table to return 50 rows (30 ms at 100,000).
      where.push("name >= ''");
    }
    r.limit = page.limit;
    const sql = `SELECT * FROM accounts${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id LIMIT :limit`;
    const rows = await this.db.sequelize.query(sql, {
      replacements: r,
      model: this.models.Account,
      mapToModel: true,
      type: QueryTypes.SELECT,
      transaction,
    });
    return rows.map(toAccount);
  }

  /** Accounts by id, in chunks (the billing port asks for 500 at a time). */
  async findByIds(ids: number[], transaction?: Transaction): Promise<Account[]> {
    const out: Account[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.models.Account.findAll({ where: { id: ids.slice(i, i + 500) }, order: [['id', 'ASC']], transaction });
      out.push(...rows.map(toAccount));
    }
    return out;
  }

  async count(transaction?: Transaction): Promise<number> {
    return this.models.Account.count({ transaction });
  }
}
