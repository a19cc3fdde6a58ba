import type { Transaction } from 'sequelize';
import type { AuditRepository } from '../../audit/index.js';
import type { AccountsRepository } from '../accounts.repository.js';
import { changedValues, hasChanges, type Changes } from '../changes.js';
import type { Service, ServicesRepository } from '../services.repository.js';
import type { SubscribersService } from '../subscribers.service.js';
import type { AccountFields, ServiceFields } from '../validation.js';
import { CsvFileError, decodeUtf8, parseAccountsCsv, type CsvFile, type RowIssue } from './csv.js';
import { countPlan, planImport, type ImportPlan, type PlanCounts } from './plan.js';
import type { Database } from '../../db/database.js';
import type { TariffHistoryRepository } from '../tariff-history.repository.js';

/** One line of "what changes", for the preview page and the CLI's dry run. */
export interface ChangeLine {
  line: number;
  what: 'create account' | 'update account' | 'create service' | 'update service';
  externalId: string;
  login?: string;
  /** e.g. `email: a@x.net -> b@x.net`. */
  detail: string;
}

export interface ImportReport {
  dryRun: boolean;
  /** True when the changes were written (never on a dry run or when any row is bad). */
  applied: boolean;
  rows: number;
  delimiter: ',' | ';' | null;
  counts: PlanCounts;
  changes: ChangeLine[];
  errors: RowIssue[];
}

const NO_COUNTS: PlanCounts = { accountsCreated: 0, accountsUpdated: 0, accountsUnchanged: 0, servicesCreated: 0, servicesUpdated: 0, servicesUnchanged: 0 };

function describe(changes: Changes): string {
  const show = (v: unknown) => (v === null || v === undefined || v === '' ? '(empty)' : String(v));
  return Object.entries(changes)
    .map(([k, c]) => `${k}: ${show(c.from)} -> ${show(c.to)}`)
    .join('; ');
}

export function changeLines(plan: ImportPlan): ChangeLine[] {
  const out: ChangeLine[] = [];
  for (const a of plan.accounts) {
    if (a.create) out.push({ line: a.line, what: 'create account', externalId: a.externalId, detail: a.create.name });
    else if (a.changes && hasChanges(a.changes)) out.push({ line: a.line, what: 'update account', externalId: a.externalId, detail: describe(a.changes) });
  }
  for (const s of plan.services) {
    if (s.create) {
      const d = [s.create.tariff && `tariff ${s.create.tariff}`, s.create.nasName && `on ${s.create.nasName}`, `from ${s.create.startDate}`].filter(Boolean).join(', ');
      out.push({ line: s.line, what: 'create service', externalId: s.externalId, login: s.login, detail: d });
    } else if (s.changes && hasChanges(s.changes)) {
      const from = s.tariffFromMs !== undefined ? ` (from ${new Date(s.tariffFromMs).toISOString().replace('T', ' ').slice(0, 16)} UTC)` : '';
      out.push({ line: s.line, what: 'update service', externalId: s.externalId, login: s.login, detail: describe(s.changes) + from });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

export interface ImportDeps {
  db: Database;
  accounts: AccountsRepository;
  services: ServicesRepository;
  subscribers: SubscribersService;
  audit: AuditRepository;
  tariffHistory: Pick<TariffHistoryRepository, 'historyOf'>;
  defaultCurrency: string;
  timezone: string;
}

/**
 * `octet import accounts` and the import page. Partial-failure rule: the whole file is one
 * transaction. If any row is bad, nothing is written and every error is reported with its line.
 */
export class AccountImportService {
  constructor(private readonly deps: ImportDeps) {}

  /** Reads bytes as the import does; a file-level problem comes back as a report with one error. */
  read(bytes: Uint8Array): { file: CsvFile } | { error: RowIssue } {
    try {
      return { file: parseAccountsCsv(decodeUtf8(bytes)) };
    } catch (err) {
      if (err instanceof CsvFileError) return { error: { line: err.line ?? 0, message: err.detail } };
      throw err;
    }
  }

  /** `alsoInTransaction` runs in the transaction that writes the import, only when it is applied. */
  async run(bytes: Uint8Array, opts: { dryRun: boolean; actor: string; source: string; alsoInTransaction?: (t: Transaction) => Promise<void> }): Promise<ImportReport> {
    const read = this.read(bytes);
    if ('error' in read) return { dryRun: opts.dryRun, applied: false, rows: 0, delimiter: null, counts: NO_COUNTS, changes: [], errors: [read.error] };
    const { file } = read;
    if (opts.dryRun) {
      const plan = await this.plan(file);
      return this.report(plan, file, true, false);
    }
    return this.deps.db.transaction(async (t) => {
      const plan = await this.plan(file, t);
      if (plan.errors.length) return this.report(plan, file, false, false);
      await this.apply(plan, opts.actor, t);
      const counts = countPlan(plan);
      await this.deps.audit.record({ actor: opts.actor, action: 'accounts.import', entityType: 'import', details: { source: opts.source, rows: plan.rows, ...counts } }, t);
      await opts.alsoInTransaction?.(t);
      return this.report(plan, file, false, true);
    });
  }

  private report(plan: ImportPlan, file: CsvFile, dryRun: boolean, applied: boolean): ImportReport {
    return { dryRun, applied, rows: plan.rows, delimiter: file.delimiter, counts: countPlan(plan), changes: changeLines(plan), errors: plan.errors };
  }

  private async plan(file: CsvFile, t?: Transaction): Promise<ImportPlan> {
    const externalIds = [...new Set(file.rows.map((r) => r.values.external_id?.trim()).filter((x): x is string => !!x))];
    const logins = [...new Set(file.rows.map((r) => r.values.login?.trim()).filter((x): x is string => !!x))];
    const accountsByExternalId = await this.deps.accounts.findByExternalIds(externalIds, t);
    const liveServicesByLogin = await this.deps.services.findLiveByLogins(logins, t);
    const liveServicesByAccount = new Map<number, Service[]>();
    const existingIds = [...accountsByExternalId.values()].map((a) => a.id);
    for (const s of await this.deps.services.listByAccounts(existingIds, t)) {
      if (s.status === 'ended') continue;
      const list = liveServicesByAccount.get(s.accountId) ?? [];
      list.push(s);
      liveServicesByAccount.set(s.accountId, list);
    }
    // A file names a handful of tariffs: each distinct code is asked once.
    const codes = [...new Set(file.rows.map((r) => r.values.tariff?.trim()).filter((x): x is string => !!x))];
    const tariffProblems = new Map<string, string>();
    for (const code of codes) {
      const why = await this.deps.subscribers.tariffProblem(code);
      if (why) tariffProblems.set(code, why);
    }
    const tariffHistory = await this.deps.tariffHistory.historyOf([...liveServicesByLogin.values()].map((s) => s.id), t);
    return planImport(file, {
      accountsByExternalId,
      liveServicesByLogin,
      liveServicesByAccount,
      today: this.deps.subscribers.today(),
      defaultCurrency: this.deps.defaultCurrency,
      tariffProblems,
      tariffHistory,
      timezone: this.deps.timezone,
    });
  }

  private async apply(plan: ImportPlan, actor: string, t: Transaction): Promise<void> {
    const { subscribers } = this.deps;
    const byExternalId = await subscribers.insertAccounts(plan.accounts.flatMap((a) => (a.create ? [a.create] : [])), actor, t);
    for (const a of plan.accounts) {
      if (!a.existing) continue;
      const patch = changedValues(a.changes ?? {}) as Partial<AccountFields>;
      if (a.changes && hasChanges(a.changes)) await subscribers.applyAccountPatch(a.existing, patch, actor, t);
      byExternalId.set(a.externalId, { ...a.existing, ...patch });
    }
    await subscribers.insertServices(plan.services.flatMap((s) => (s.create ? [{ account: byExternalId.get(s.externalId)!, fields: s.create }] : [])), actor, t);
    for (const s of plan.services) {
      if (s.existing && s.changes && hasChanges(s.changes)) {
        await subscribers.applyServicePatch(s.existing, changedValues(s.changes) as Partial<ServiceFields>, actor, t, s.tariffFromMs);
      }
    }
  }
}
