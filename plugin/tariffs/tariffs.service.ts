import type { Transaction } from 'sequelize';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { isDuplicateKey, type Database } from '../db/database.js';
import type { TariffInput } from '../rating/index.js';
import { continuityIssues, invalid, parseDefinition, readStoredDefinition, storedDefinition, type TariffStatus } from './definition.js';
import type { TariffRow, TariffsRepository, VersionRow } from './tariffs.repository.js';
import type { TariffVersion } from './version-at.js';

/** A tariff of the catalogue as the port names it. */
export interface CatalogueEntry {
  id: number;
  code: string;
  name: string;
  currency: string;
  status: TariffStatus;
  currentVersion: number;
}

/** A version with who made it and its stored definition, for the pages and the API. */
export interface VersionDetail extends TariffVersion {
  createdBy: string;
  createdAt: Date;
  definition: TariffInput;
}

export interface TariffDetail {
  entry: CatalogueEntry;
  createdAt: Date;
  updatedAt: Date;
  versions: VersionDetail[];
}

export interface TariffsServiceDeps {
  db: Database;
  tariffs: TariffsRepository;
  audit: Pick<AuditRepository, 'record'>;
  clock: Clock;
}

export function entryOf(r: TariffRow): CatalogueEntry {
  return { id: r.id, code: r.code, name: r.name, currency: r.currency, status: r.status, currentVersion: r.currentVersion };
}

function versionOf(entry: CatalogueEntry, v: VersionRow): VersionDetail {
  const tariff = readStoredDefinition(v.definition, entry.code, v.version);
  return { tariff, effectiveFromMs: v.effectiveFromMs, createdBy: v.createdBy, createdAt: v.createdAt, definition: JSON.parse(v.definition) as TariffInput };
}

function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid([{ field: '', message: 'the tariff must be an object' }]);
  return raw as Record<string, unknown>;
}

/**
 * The catalogue's use cases, each audited. Versioning rule: an edit writes version n+1 effective
 * now, so it applies from the next billing period (a period is rated with the version in effect
 * at its start: versionAt). Code and currency never change between versions. A draft (taken
 * over from services' free-text tariffs) becomes active when it is given a definition; that
 * version is effective from the draft's first instant, since nothing was billed on the draft.
 * An archived tariff keeps billing the services on it and takes no new ones.
 */
export class TariffsService {
  constructor(private readonly deps: TariffsServiceDeps) {}

  async list(transaction?: Transaction): Promise<Array<{ entry: CatalogueEntry; current: VersionDetail }>> {
    const rows = await this.deps.tariffs.list(transaction);
    const details = await this.details(rows, transaction);
    return details.map((d) => ({ entry: d.entry, current: d.versions[d.versions.length - 1]! }));
  }

  async get(code: string, transaction?: Transaction): Promise<TariffDetail> {
    const row = await this.deps.tariffs.findByCode(code, transaction);
    if (!row) throw new NotFoundError(`there is no tariff ${code}`);
    return (await this.details([row], transaction))[0]!;
  }

  /** Many tariffs with their versions in two queries (chunked IN lists). */
  async details(rows: TariffRow[], transaction?: Transaction): Promise<TariffDetail[]> {
    const versions = await this.deps.tariffs.versionsOf(rows.map((r) => r.id), transaction);
    const byTariff = new Map<number, VersionRow[]>();
    for (const v of versions) byTariff.set(v.tariffId, [...(byTariff.get(v.tariffId) ?? []), v]);
    return rows.map((r) => {
      const entry = entryOf(r);
      return { entry, createdAt: r.createdAt, updatedAt: r.updatedAt, versions: (byTariff.get(r.id) ?? []).map((v) => versionOf(entry, v)) };
    });
  }

  async byCodes(codes: string[], transaction?: Transaction): Promise<TariffDetail[]> {
    if (!codes.length) return [];
    return this.details(await this.deps.tariffs.findByCodes(codes, transaction), transaction);
  }

  async create(raw: unknown, actor: string): Promise<TariffDetail> {
    const input = body(raw);
    const tariff = parseDefinition({ ...input, version: '1' });
    const now = this.deps.clock.now();
    try {
      await this.deps.db.transaction(async (t) => {
        const row = await this.deps.tariffs.insert({ code: tariff.code, name: tariff.name, currency: tariff.currency, status: 'active', currentVersion: 1 }, now, t);
        const definition = storedDefinition(input, { code: tariff.code, currency: tariff.currency, version: 1 });
        await this.deps.tariffs.insertVersion({ tariffId: row.id, version: 1, definition: JSON.stringify(definition), effectiveFromMs: now.getTime(), createdBy: actor, createdAt: now }, t);
        await this.deps.audit.record({ actor, action: 'tariff.create', entityType: 'tariff', entityId: tariff.code, details: { version: 1, definition } }, t);
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(`tariff ${tariff.code} exists already: edit it to make a new version`, [{ field: 'code', message: `${tariff.code} exists already` }]);
      throw err;
    }
    return this.get(tariff.code);
  }

  /** A new version (n+1), effective now; a draft becomes active by it. */
  async edit(code: string, raw: unknown, actor: string): Promise<TariffDetail> {
    const input = body(raw);
    await this.deps.db.transaction(async (t) => {
      const row = await this.deps.tariffs.findByCode(code, t, true);
      if (!row) throw new NotFoundError(`there is no tariff ${code}`);
      const issues = continuityIssues(row, input);
      if (issues.length) throw invalid(issues);
      const version = row.currentVersion + 1;
      // A legacy code (before the code rule) is checked as a stand-in and stored as it is.
      const legacy = !/^[A-Za-z0-9._-]{1,64}$/.test(row.code);
      const parsed = parseDefinition({ ...input, code: legacy ? 'legacy-code' : row.code, currency: row.currency, version: String(version) });
      const tariff = { ...parsed, code: row.code };
      const now = this.deps.clock.now();
      const activating = row.status === 'draft';
      const first = activating ? (await this.deps.tariffs.versionsOf([row.id], t))[0] : undefined;
      const effectiveFromMs = first ? first.effectiveFromMs : now.getTime();
      const definition = storedDefinition(input, { code: row.code, currency: row.currency, version });
      await this.deps.tariffs.insertVersion({ tariffId: row.id, version, definition: JSON.stringify(definition), effectiveFromMs, createdBy: actor, createdAt: now }, t);
      const status: TariffStatus = activating ? 'active' : row.status;
      await this.deps.tariffs.update(row.id, { name: tariff.name, status, currentVersion: version }, now, t);
      await this.deps.audit.record(
        { actor, action: activating ? 'tariff.activate' : 'tariff.edit', entityType: 'tariff', entityId: row.code, details: { version, effectiveFrom: new Date(effectiveFromMs).toISOString(), definition } },
        t,
      );
    });
    return this.get(code);
  }

  /** Activates a draft by giving it a real definition (the same as editing it). */
  async activate(code: string, raw: unknown, actor: string): Promise<TariffDetail> {
    const current = await this.get(code);
    if (current.entry.status !== 'draft') throw new ConflictError(`tariff ${code} is ${current.entry.status}, not a draft`, [{ field: 'status', message: `is ${current.entry.status}` }]);
    return this.edit(code, raw, actor);
  }

  /** Archived: services on it keep billing; no service may be given it any more. */
  async archive(code: string, actor: string): Promise<TariffDetail> {
    await this.deps.db.transaction(async (t) => {
      const row = await this.deps.tariffs.findByCode(code, t, true);
      if (!row) throw new NotFoundError(`there is no tariff ${code}`);
      if (row.status === 'archived') throw new ConflictError(`tariff ${code} is archived already`, [{ field: 'status', message: 'is archived already' }]);
      await this.deps.tariffs.update(row.id, { name: row.name, status: 'archived', currentVersion: row.currentVersion }, this.deps.clock.now(), t);
      await this.deps.audit.record({ actor, action: 'tariff.archive', entityType: 'tariff', entityId: row.code, details: { status: { from: row.status, to: 'archived' } } }, t);
    });
    return this.get(code);
  }

  /** Null when a service may be given this tariff now, or why not. */
  async assignable(code: string): Promise<string | null> {
    const row = await this.deps.tariffs.findByCode(code);
    if (!row) return `there is no tariff ${code} in the catalogue`;
    if (row.status === 'draft') return `tariff ${code} is a draft without a price: give it a definition on its tariff page first`;
    if (row.status === 'archived') return `tariff ${code} is archived: services already on it keep it, new ones cannot get it`;
    return null;
  }
}
