/**
 * What an accounts file would change, worked out from the file and what the database holds now.
 * Pure: the import service looks up the existing accounts and live services and passes them in,
 * so the dry run and the real run compute exactly the same plan.
 *
 * Rules:
 * - a row is an account (keyed by external_id) and, when `login` is filled, one of its services;
 *   an account with several services takes several rows with the same account columns;
 * - an existing account changes only in the columns the file has; an empty cell clears an optional
 *   field, except currency, status and tax_exempt, where empty means "leave as is / default";
 * - a login already live on the same account updates that service; live on another account is an
 *   error (a login belongs to one live service); a new login creates a service;
 * - services the file does not mention are left alone (the import never ends a service);
 * - a tariff that is set or changed must be assignable (lookups.tariffProblems names why not);
 *   a change applies from `tariff_from` (a date in the ISP's zone, or an instant), else from the
 *   moment the import is applied; `tariff_from` with an unchanged tariff is ignored, so the same
 *   file imported twice changes nothing;
 * - a tax-exempt account needs tax_exempt_reason (it is printed on the invoice).
 */
import type { Account } from '../accounts.repository.js';
import { diffFields, hasChanges, type Changes } from '../changes.js';
import type { Service } from '../services.repository.js';
import { clearingProblem, parseTariffFrom, serviceStartMs, tariffStep, type TariffEntry } from '../tariff-history.js';
import { parseAccountInput, parseServiceInput, taxExemptionProblem, type AccountFields, type ServiceFields } from '../validation.js';
import type { CsvColumn, CsvFile, RowIssue } from './csv.js';

const ACCOUNT_COLUMNS: Partial<Record<CsvColumn, keyof AccountFields>> = {
  external_id: 'externalId',
  name: 'name',
  email: 'email',
  phone: 'phone',
  address_line1: 'addressLine1',
  address_line2: 'addressLine2',
  city: 'city',
  postal_code: 'postalCode',
  country: 'country',
  tax_id: 'taxId',
  tax_exempt: 'taxExempt',
  tax_exempt_reason: 'taxExemptReason',
  tax_name: 'taxName',
  tax_percent: 'taxPercent',
  payment_terms_days: 'paymentTermsDays',
  billing_email: 'billingEmail',
  currency: 'currency',
  status: 'status',
};
const SERVICE_COLUMNS: Partial<Record<CsvColumn, keyof ServiceFields>> = {
  login: 'login',
  tariff: 'tariff',
  tariff_from: 'tariffFrom' as keyof ServiceFields,
  nas_name: 'nasName',
  start_date: 'startDate',
};
const EMPTY_MEANS_UNCHANGED = new Set<CsvColumn>(['currency', 'status', 'tax_exempt', 'start_date', 'tariff_from']);
const COLUMN_OF: Record<string, string> = Object.fromEntries(
  [...Object.entries(ACCOUNT_COLUMNS), ...Object.entries(SERVICE_COLUMNS)].map(([c, f]) => [f, c]),
);

export interface PlannedAccount {
  externalId: string;
  line: number;
  /** Set when the account exists; `changes` is empty when the file says nothing new. */
  existing?: Account;
  changes?: Changes;
  /** Set when the account is new. */
  create?: AccountFields;
}

export interface PlannedService {
  externalId: string;
  line: number;
  login: string;
  existing?: Service;
  changes?: Changes;
  create?: ServiceFields;
  /** When a tariff change applies from (absent: when the import is applied). */
  tariffFromMs?: number;
}

export interface ImportPlan {
  rows: number;
  accounts: PlannedAccount[];
  services: PlannedService[];
  errors: RowIssue[];
}

export interface PlanLookups {
  accountsByExternalId: Map<string, Account>;
  liveServicesByLogin: Map<string, Service>;
  /** Live services per existing account id (the closing rule needs them). */
  liveServicesByAccount: Map<number, Service[]>;
  today: string;
  defaultCurrency: string;
  /** Why each tariff code of the file cannot be assigned; codes that can are absent. */
  tariffProblems: Map<string, string>;
  /** Tariff history (oldest first) of the live services the file names. */
  tariffHistory: Map<number, TariffEntry[]>;
  timezone: string;
}

export interface PlanCounts {
  accountsCreated: number;
  accountsUpdated: number;
  accountsUnchanged: number;
  servicesCreated: number;
  servicesUpdated: number;
  servicesUnchanged: number;
}

export function countPlan(plan: ImportPlan): PlanCounts {
  const changed = (p: { changes?: Changes }) => (p.changes ? hasChanges(p.changes) : false);
  return {
    accountsCreated: plan.accounts.filter((a) => a.create).length,
    accountsUpdated: plan.accounts.filter((a) => a.existing && changed(a)).length,
    accountsUnchanged: plan.accounts.filter((a) => a.existing && !changed(a)).length,
    servicesCreated: plan.services.filter((s) => s.create).length,
    servicesUpdated: plan.services.filter((s) => s.existing && changed(s)).length,
    servicesUnchanged: plan.services.filter((s) => s.existing && !changed(s)).length,
  };
}

function pick(values: Partial<Record<CsvColumn, string>>, columns: Partial<Record<CsvColumn, string>>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [col, field] of Object.entries(columns) as Array<[CsvColumn, string]>) {
    const v = values[col];
    if (v === undefined) continue;
    if (v.trim() === '' && EMPTY_MEANS_UNCHANGED.has(col)) continue;
    raw[field] = v;
  }
  return raw;
}

function sameAccountValues(a: Partial<AccountFields>, b: Partial<AccountFields>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof AccountFields>;
  return [...keys].filter((k) => (a[k] ?? null) !== (b[k] ?? null)).map((k) => COLUMN_OF[k] ?? k);
}

export function planImport(file: CsvFile, lookups: PlanLookups): ImportPlan {
  const errors: RowIssue[] = [...file.errors];
  const accounts = new Map<string, { line: number; patch: Partial<AccountFields> }>();
  const services: Array<{ externalId: string; line: number; patch: Partial<ServiceFields>; tariffFrom?: string }> = [];
  const loginLines = new Map<string, number>();
  const skippedLogins: Array<{ line: number; externalId: string | null; login: string }> = [];

  for (const row of file.rows) {
    const before = errors.length;
    const acc = parseAccountInput(pick(row.values, ACCOUNT_COLUMNS), 'update', { currency: lookups.defaultCurrency });
    for (const i of acc.issues) errors.push({ line: row.line, column: COLUMN_OF[i.field] ?? i.field, message: i.message });
    const externalId = acc.value.externalId;
    if (!externalId && !acc.issues.some((i) => i.field === 'externalId')) {
      errors.push({ line: row.line, column: 'external_id', message: 'is required: it is how a re-import finds the same account' });
    }
    const svcRaw = pick(row.values, SERVICE_COLUMNS);
    const hasLogin = typeof svcRaw.login === 'string' && svcRaw.login.trim() !== '';
    let svc: Partial<ServiceFields> | null = null;
    let tariffFrom: string | undefined;
    if (hasLogin) {
      const parsed = parseServiceInput(svcRaw, 'update', lookups.today);
      for (const i of parsed.issues) errors.push({ line: row.line, column: COLUMN_OF[i.field] ?? i.field, message: i.message });
      svc = parsed.value;
      tariffFrom = parsed.tariffFrom;
    } else {
      delete svcRaw.login;
      for (const k of Object.keys(svcRaw)) {
        if (String(svcRaw[k]).trim()) errors.push({ line: row.line, column: COLUMN_OF[k] ?? k, message: 'is filled but login is empty: a service needs its login' });
      }
    }
    // Checked even on a line with other problems, so a fixed file does not reveal new ones.
    if (svc?.login) {
      const other = loginLines.get(svc.login);
      if (other !== undefined) errors.push({ line: row.line, column: 'login', message: `"${svc.login}" is on line ${other} too: a login belongs to one service` });
      else loginLines.set(svc.login, row.line);
    }
    if (errors.length > before || !externalId) {
      if (svc?.login) skippedLogins.push({ line: row.line, externalId: externalId ?? null, login: svc.login });
      continue;
    }

    const seen = accounts.get(externalId);
    if (!seen) accounts.set(externalId, { line: row.line, patch: acc.value });
    else {
      const differ = sameAccountValues(seen.patch, acc.value);
      if (differ.length) {
        errors.push({ line: row.line, column: differ.join(', '), message: `external id ${externalId} is on line ${seen.line} too, with different ${differ.join(', ')}` });
        continue;
      }
    }
    if (svc?.login) services.push({ externalId, line: row.line, patch: svc, tariffFrom });
  }

  const servicesInFile = new Map<string, number>();
  for (const s of services) servicesInFile.set(s.externalId, (servicesInFile.get(s.externalId) ?? 0) + 1);
  const plannedAccounts: PlannedAccount[] = [];
  for (const [externalId, { line, patch }] of accounts) {
    const existing = lookups.accountsByExternalId.get(externalId);
    if (existing) {
      plannedAccounts.push({ externalId, line, existing, changes: diffFields(existing, patch) });
    } else {
      const create = parseAccountInput(patch as Record<string, unknown>, 'create', { currency: lookups.defaultCurrency }).value as AccountFields;
      plannedAccounts.push({ externalId, line, create });
    }
    if (!existing || patch.taxExempt !== undefined || patch.taxExemptReason !== undefined) {
      const exempt = taxExemptionProblem({ ...(existing ?? { taxExempt: false, taxExemptReason: null }), ...patch });
      if (exempt) errors.push({ line, column: 'tax_exempt_reason', message: exempt.message });
    }
    const status = patch.status ?? existing?.status;
    const liveCount = (existing ? (lookups.liveServicesByAccount.get(existing.id)?.length ?? 0) : 0) + (servicesInFile.get(externalId) ?? 0);
    if (status === 'closed' && liveCount > 0) {
      errors.push({ line, column: 'status', message: `account ${externalId} cannot be closed while it has live services: end them first` });
    }
  }

  const takenElsewhere = (externalId: string | null, login: string) => {
    const account = externalId === null ? undefined : lookups.accountsByExternalId.get(externalId);
    const live = lookups.liveServicesByLogin.get(login);
    return live && (!account || live.accountId !== account.id) ? live : null;
  };
  // Lines with other problems are checked too, so that fixing them reveals nothing new.
  for (const s of skippedLogins) {
    const live = takenElsewhere(s.externalId, s.login);
    if (live) errors.push({ line: s.line, column: 'login', message: `"${s.login}" is already used by a live service of another account (#${live.accountId})` });
  }
  const plannedServices: PlannedService[] = [];
  for (const s of services) {
    const login = s.patch.login!;
    const live = takenElsewhere(s.externalId, login);
    if (live) {
      errors.push({ line: s.line, column: 'login', message: `"${login}" is already used by a live service of another account (#${live.accountId})` });
      continue;
    }
    const current = lookups.liveServicesByLogin.get(login);
    const tariffError = (message: string, column = 'tariff') => errors.push({ line: s.line, column, message });
    if (current) {
      const { login: _l, ...rest } = s.patch;
      const changes = diffFields(current, rest);
      let tariffFromMs: number | undefined;
      if (changes.tariff) {
        const problem = clearingProblem(current.tariff, s.patch.tariff ?? null)?.message ?? (s.patch.tariff ? lookups.tariffProblems.get(s.patch.tariff) : undefined);
        if (problem) {
          tariffError(problem);
          continue;
        }
        if (s.tariffFrom !== undefined) {
          const fromIssues: Array<{ field: string; message: string }> = [];
          tariffFromMs = parseTariffFrom(s.tariffFrom, lookups.timezone, fromIssues);
          const history = lookups.tariffHistory.get(current.id) ?? [];
          const step = tariffFromMs === undefined ? null : tariffStep(history[history.length - 1] ?? null, tariffFromMs, lookups.timezone);
          const startMs = serviceStartMs(s.patch.startDate ?? current.startDate, lookups.timezone);
          const message = fromIssues[0]?.message ?? (step?.kind === 'refused' ? step.issue.message : tariffFromMs! < startMs ? 'must not be before the service starts' : null);
          if (message) {
            tariffError(message, 'tariff_from');
            continue;
          }
        }
      }
      plannedServices.push({ externalId: s.externalId, line: s.line, login, existing: current, changes, ...(tariffFromMs !== undefined ? { tariffFromMs } : {}) });
    } else {
      const problem = s.patch.tariff ? lookups.tariffProblems.get(s.patch.tariff) : undefined;
      if (problem) {
        tariffError(problem);
        continue;
      }
      if (s.tariffFrom !== undefined) {
        tariffError('is for a tariff change: a new service has its tariff from its start date', 'tariff_from');
        continue;
      }
      plannedServices.push({
        externalId: s.externalId,
        line: s.line,
        login,
        create: { login, tariff: s.patch.tariff ?? null, nasName: s.patch.nasName ?? null, startDate: s.patch.startDate ?? lookups.today, status: 'active' },
      });
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows: file.rows.length + file.errors.length, accounts: plannedAccounts, services: plannedServices, errors };
}
