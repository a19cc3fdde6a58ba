import type { Transaction } from 'sequelize';
import type { Models } from '../db/models/index.js';
import { isRole, type Role } from './roles.js';

export interface StaffUser {
  id: number;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface StaffUserWithHash extends StaffUser {
  passwordHash: string;
}

function toUser(row: Record<string, unknown>): StaffUserWithHash {
  const role = row.role;
  if (!isRole(role)) throw new Error(`user ${String(row.id)} has unknown role ${String(role)}`);
  return {
    id: Number(row.id),
    email: String(row.email),
    name: String(row.name),
    role,
    disabled: Boolean(row.disabled),
    createdAt: new Date(row.createdAt as Date),
    lastLoginAt: row.lastLoginAt ? new Date(row.lastLoginAt as Date) : null,
    passwordHash: String(row.passwordHash),
  };
}

function withoutHash({ passwordHash: _h, ...user }: StaffUserWithHash): StaffUser {
  return user;
}

export class UsersRepository {
  constructor(private readonly models: Pick<Models, 'User'>) {}

  async findByEmailWithHash(email: string, transaction?: Transaction): Promise<StaffUserWithHash | null> {
    const row = await this.models.User.findOne({ where: { email: email.trim().toLowerCase() }, transaction });
    return row ? toUser(row.get({ plain: true })) : null;
  }

  async findById(id: number, transaction?: Transaction): Promise<StaffUser | null> {
    const row = await this.models.User.findByPk(id, { transaction });
    return row ? withoutHash(toUser(row.get({ plain: true }))) : null;
  }

  async create(
    input: { email: string; name: string; role: Role; passwordHash: string; createdAt: Date },
    transaction?: Transaction,
  ): Promise<StaffUser> {
    const row = await this.models.User.create(
      { ...input, email: input.email.trim().toLowerCase(), disabled: false },
      { transaction },
    );
    return withoutHash(toUser(row.get({ plain: true })));
  }

  async setPasswordHash(id: number, passwordHash: string, transaction?: Transaction): Promise<void> {
    await this.models.User.update({ passwordHash }, { where: { id }, transaction });
  }

  async touchLogin(id: number, at: Date, transaction?: Transaction): Promise<void> {
    await this.models.User.update({ lastLoginAt: at }, { where: { id }, transaction });
  }

  async countActiveAdmins(transaction?: Transaction): Promise<number> {
    return this.models.User.count({ where: { role: 'admin', disabled: false }, transaction });
  }

  async list(transaction?: Transaction): Promise<StaffUser[]> {
    const rows = await this.models.User.findAll({ order: [['email', 'ASC']], transaction });
    return rows.map((r) => withoutHash(toUser(r.get({ plain: true }))));
  }
}
