import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.js';
import { NotFoundError } from '../../common/errors.js';
import type { Database } from '../../db/database.js';
import { fromSqlTime, fromSqlTimeOrNull, sqlTime, valuesPlaceholders } from '../../db/sql.js';

/** A billing run as the pages, the API and the CLI show it. */
export interface RunProgress {
  id: string;
  periodKey: string;
  dryRun: boolean;
  /** `interrupted`: still marked running, but silent for longer than a run ever is (its process died). */
  status: 'running' | 'finished' | 'failed' | 'interrupted';
  startedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  accountsSeen: number;
  invoicesIssued: number;
  creditNotesIssued: number;
  accountsAlreadyBilled: number;
  accountsFailed: number;
  errors: Array<{ accountId: number; message: string }>;
  preview: PreviewRow[];
  totals: Array<{ currency: string; invoicedMinor: string; creditedMinor: string }>;
  failure: string | null;
}

export interface PreviewRow {
  accountId: number;
  name: string;
  currency: string;
  lines: number;
  totalMinor: string;
  creditMinor: string;
}

export interface RunCounters {
  accountsSeen: number;
  invoicesIssued: number;
  creditNotesIssued: number;
  accountsAlreadyBilled: number;
  accountsFailed: number;
}

interface Summary {
  preview: PreviewRow[];
  totals: RunProgress['totals'];
  failure: string | null;
}

/** A run that has not reported for this long is shown as interrupted (it reports after every chunk). */
export const SILENT_MS = 120_000;

export class BillingRunsRepository {
  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  private t(ms: number | Date) {
    return sqlTime(this.deps.db.dialect, ms);
  }

  async create(periodKey: string, dryRun: boolean, by: string): Promise<string> {
    const now = this.t(this.deps.clock.now());
    return this.deps.db.transaction(async (t) => {
      await this.deps.db.sequelize.query('INSERT INTO billing_runs (period_key, dry_run, status, started_by, started_at, heartbeat_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?)', {
        replacements: [periodKey, dryRun, 'running', by.slice(0, 100), now, now, JSON.stringify({ preview: [], totals: [], failure: null })],
        transaction: t,
      });
      const [row] = await this.deps.db.sequelize.query<{ id: string }>('SELECT CAST(MAX(id) AS CHAR) AS id FROM billing_runs WHERE period_key = ? AND started_by = ? AND started_at = ?', {
        replacements: [periodKey, by.slice(0, 100), now],
        type: QueryTypes.SELECT,
        transaction: t,
      });
      return row!.id;
    });
  }

  /** Counters, totals and preview so far (written after every chunk: the progress a page shows). */
  async report(id: string, c: RunCounters, summary: Summary, t?: Transaction): Promise<void> {
    await this.deps.db.sequelize.query(
      `UPDATE billing_runs SET heartbeat_at = ?, accounts_seen = ?, invoices_issued = ?, credit_notes_issued = ?, accounts_already_billed = ?, accounts_failed = ?, summary = ? WHERE id = ?`,
      { replacements: [this.t(this.deps.clock.now()), c.accountsSeen, c.invoicesIssued, c.creditNotesIssued, c.accountsAlreadyBilled, c.accountsFailed, JSON.stringify(summary), id], transaction: t },
    );
  }

  async addErrors(id: string, errors: Array<{ accountId: number; message: string }>, t?: Transaction): Promise<void> {
    if (!errors.length) return;
    const now = this.t(this.deps.clock.now());
    const args = errors.flatMap((e) => [id, e.accountId, e.message.slice(0, 1000), now]);
    await this.deps.db.sequelize.query(`INSERT INTO billing_run_errors (run_id, account_id, message, created_at) VALUES ${valuesPlaceholders(errors.length, 4)}`, { replacements: args, transaction: t });
  }

  async finish(id: string, status: 'finished' | 'failed'): Promise<void> {
    const now = this.t(this.deps.clock.now());
    await this.deps.db.sequelize.query('UPDATE billing_runs SET status = ?, finished_at = ?, heartbeat_at = ? WHERE id = ?', { replacements: [status, now, now, id] });
  }

  async fail(id: string, failure: string): Promise<void> {
    const p = await this.get(id);
    await this.report(id, p, { preview: p.preview, totals: p.totals, failure: failure.slice(0, 2000) });
    await this.finish(id, 'failed');
  }

  async get(id: string): Promise<RunProgress> {
    const [r] = await this.list(1, id);
    if (!r) throw new NotFoundError(`no billing run ${id}`);
    return r;
  }

  async list(limit = 20, id?: string): Promise<RunProgress[]> {
    const rows = await this.deps.db.sequelize.query<Record<string, unknown>>(
      `SELECT CAST(id AS CHAR) AS id, period_key, dry_run, status, started_by, started_at, heartbeat_at, finished_at, accounts_seen, invoices_issued, credit_notes_issued,
              accounts_already_billed, accounts_failed, summary FROM billing_runs ${id ? 'WHERE id = ?' : ''} ORDER BY id DESC LIMIT ?`,
      { replacements: id ? [id, limit] : [limit], type: QueryTypes.SELECT },
    );
    const now = this.deps.clock.now().getTime();
    const out: RunProgress[] = [];
    for (const r of rows) {
      const errors = await this.deps.db.sequelize.query<{ a: number | string; m: string }>('SELECT account_id AS a, message AS m FROM billing_run_errors WHERE run_id = ? ORDER BY id LIMIT 500', {
        replacements: [r.id],
        type: QueryTypes.SELECT,
      });
      const summary = JSON.parse(String(r.summary ?? '{}')) as Partial<Summary>;
      const status = String(r.status) as RunProgress['status'];
      out.push({
        id: String(r.id),
        periodKey: String(r.period_key),
        dryRun: Boolean(Number(r.dry_run)),
        status: status === 'running' && now - fromSqlTime(r.heartbeat_at).getTime() > SILENT_MS ? 'interrupted' : status,
        startedBy: String(r.started_by),
        startedAt: fromSqlTime(r.started_at),
        finishedAt: fromSqlTimeOrNull(r.finished_at),
        accountsSeen: Number(r.accounts_seen),
        invoicesIssued: Number(r.invoices_issued),
        creditNotesIssued: Number(r.credit_notes_issued),
        accountsAlreadyBilled: Number(r.accounts_already_billed),
        accountsFailed: Number(r.accounts_failed),
        errors: errors.map((e) => ({ accountId: Number(e.a), message: e.m })),
        preview: summary.preview ?? [],
        totals: summary.totals ?? [],
        failure: summary.failure ?? null,
      });
    }
    return out;
  }
}
