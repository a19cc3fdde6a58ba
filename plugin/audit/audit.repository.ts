import { Op, type Model, type Transaction } from 'sequelize';
import type { Clock } from '../common/clock.js';
import type { Models } from '../db/models/index.js';
import { redact } from '../common/redact.js';

export interface AuditEvent {
  /** Who or what caused it: `user:3`, `token:7`, `agent:pop-north`, `system:dunning`, `cli`. */
  actor: string;
  action: string;
  entityType?: string;
  entityId?: string | number;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEvent, 'details' | 'entityId'>> {
  id: string;
  at: Date;
  entityId: string | null;
  details: Record<string, unknown> | null;
}

export class AuditRepository {
  constructor(
    private readonly models: Pick<Models, 'AuditEntry'>,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditEvent, transaction?: Transaction): Promise<void> {
    await this.models.AuditEntry.create(
      {
        at: this.clock.now(),
        actor: event.actor,
        action: event.action,
        entityType: event.entityType ?? null,
        entityId: event.entityId === undefined ? null : String(event.entityId),
        // Details are redacted too: an audit trail is read by more people than secrets should be.
        details: event.details ? JSON.stringify(redact(event.details)) : null,
      },
      { transaction },
    );
  }

  async list(filter: { entityType?: string; entityId?: string; limit?: number } = {}, transaction?: Transaction): Promise<AuditRecord[]> {
    const where: Record<string, unknown> = {};
    if (filter.entityType) where.entityType = filter.entityType;
    if (filter.entityId) where.entityId = filter.entityId;
    const rows = await this.models.AuditEntry.findAll({ where, order: [['id', 'DESC']], limit: filter.limit ?? 100, transaction });
    return rows.map(toRecord);
  }

  /**
   * The latest entries about any of several entities (an account and its services), newest first,
   * in one query: a page showing one history must not cost one query per entity.
   */
  async listForEntities(
    entities: ReadonlyArray<{ entityType: string; entityIds: ReadonlyArray<string | number> }>,
    limit: number,
    transaction?: Transaction,
  ): Promise<AuditRecord[]> {
    const any = entities.filter((e) => e.entityIds.length > 0).map((e) => ({ entityType: e.entityType, entityId: e.entityIds.map(String) }));
    if (any.length === 0) return [];
    const rows = await this.models.AuditEntry.findAll({ where: { [Op.or]: any }, order: [['id', 'DESC']], limit, transaction });
    return rows.map(toRecord);
  }
}

function toRecord(r: Model): AuditRecord {
  const v = r.get({ plain: true }) as Record<string, unknown>;
  return {
    id: String(v.id),
    at: new Date(v.at as Date),
    actor: String(v.actor),
    action: String(v.action),
    entityType: (v.entityType as string | null) ?? '',
    entityId: (v.entityId as string | null) ?? null,
    details: v.details ? (JSON.parse(String(v.details)) as Record<string, unknown>) : null,
  };
}
