import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../../db/database.js';
import type { DocumentType, InvoiceStatus } from '../invoice.js';
import type { CustomerGroupRow, KindGroupRow, PeriodTotalRow, RevenueGroupRow, TariffAmountRow, TariffBytesRow } from './aggregate.js';
import type { BalanceDocument } from './balance.js';

/**
 * The report queries over invoicing's own tables: grouped in SQL, summed as BIGINT and read back
 * as text (drivers hand big sums back as strings or lose digits as numbers), turned into bigints
 * here; the pure functions of aggregate.ts do the rest. Drafts are never revenue.
 * Date ranges are [from, to) on local dates (YYYY-MM-DD), as issue_date and period_key store them.
 */
const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(String(v).replace(/\.0+$/, '')));

export class ReportsRepository {
  constructor(private readonly deps: { db: Database }) {}

  private q<T extends object>(sql: string, replacements: unknown[], t?: Transaction): Promise<T[]> {
    return this.deps.db.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT, transaction: t });
  }

  /** Issued documents per month of issue, currency and type. */
  async revenueRows(fromDate: string, toDate: string, t?: Transaction): Promise<RevenueGroupRow[]> {
    const month = 'SUBSTR(CAST(issue_date AS CHAR), 1, 7)';
    const rows = await this.q<Record<string, unknown>>(
      `SELECT ${month} AS m, currency, type, COUNT(*) AS n, CAST(SUM(net_minor) AS CHAR) AS net, CAST(SUM(tax_minor) AS CHAR) AS tax, CAST(SUM(total_minor) AS CHAR) AS total
         FROM invoices WHERE status <> 'draft' AND issue_date >= ? AND issue_date < ? GROUP BY ${month}, currency, type`,
      [fromDate, toDate],
      t,
    );
    return rows.map((r) => ({ month: String(r.m), currency: String(r.currency), type: r.type as DocumentType, documents: Number(r.n), netMinor: big(r.net), taxMinor: big(r.tax), totalMinor: big(r.total) }));
  }

  /** The `limit` accounts with the most invoiced (net of credits) in a period, per currency. */
  async customerRows(periodKey: string, limit: number, t?: Transaction): Promise<CustomerGroupRow[]> {
    const currencies = await this.q<{ c: string }>("SELECT DISTINCT currency AS c FROM invoices WHERE status <> 'draft' AND period_key = ? ORDER BY currency", [periodKey], t);
    const out: CustomerGroupRow[] = [];
    for (const { c } of currencies) {
      const rows = await this.q<Record<string, unknown>>(
        `SELECT account_id AS a, CAST(SUM(CASE WHEN type = 'invoice' THEN ABS(total_minor) ELSE 0 END) AS CHAR) AS inv,
                CAST(SUM(CASE WHEN type = 'credit_note' THEN ABS(total_minor) ELSE 0 END) AS CHAR) AS cr
           FROM invoices WHERE status <> 'draft' AND period_key = ? AND currency = ?
          GROUP BY account_id ORDER BY SUM(CASE WHEN type = 'invoice' THEN ABS(total_minor) ELSE -ABS(total_minor) END) DESC, account_id LIMIT ?`,
        [periodKey, c, limit],
        t,
      );
      out.push(...rows.map((r) => ({ accountId: Number(r.a), currency: c, invoicedMinor: big(r.inv), creditedMinor: big(r.cr) })));
    }
    return out;
  }

  /** Line amounts per currency, document type and line kind, for documents issued in [from, to). */
  async kindRows(fromDate: string, toDate: string, t?: Transaction): Promise<KindGroupRow[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT i.currency AS c, i.type AS ty, l.kind AS k, CAST(SUM(l.amount_minor) AS CHAR) AS a
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
        WHERE i.status <> 'draft' AND i.issue_date >= ? AND i.issue_date < ? GROUP BY i.currency, i.type, l.kind`,
      [fromDate, toDate],
      t,
    );
    return rows.map((r) => ({ currency: String(r.c), type: r.ty as DocumentType, kind: String(r.k), amountMinor: big(r.a) }));
  }

  /** Usage lines of invoices (not credit notes) per period key in [from, to) and tariff version. */
  async tariffAmountRows(fromPeriod: string, toPeriod: string, t?: Transaction): Promise<TariffAmountRow[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT i.period_key AS p, i.currency AS c, l.tariff_code AS code, l.tariff_version AS v, COUNT(*) AS n, CAST(SUM(l.amount_minor) AS CHAR) AS a
         FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
        WHERE i.type = 'invoice' AND i.status <> 'draft' AND l.kind = 'usage' AND l.tariff_code IS NOT NULL AND i.period_key >= ? AND i.period_key < ?
        GROUP BY i.period_key, i.currency, l.tariff_code, l.tariff_version`,
      [fromPeriod, toPeriod],
      t,
    );
    return rows.map((r) => ({ periodKey: String(r.p), currency: String(r.c), code: String(r.code), version: Number(r.v), lines: Number(r.n), amountMinor: big(r.a) }));
  }

  /**
   * Bytes of the invoices' usage windows, attributed to the tariff of the usage line of the same
   * invoice and service whose span holds the window's start (late adjustments are left out: they
   * belong to an earlier period's usage).
   */
  async tariffBytesRows(fromPeriod: string, toPeriod: string, t?: Transaction): Promise<TariffBytesRow[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT i.period_key AS p, l.tariff_code AS code, l.tariff_version AS v, CAST(SUM(u.download) AS CHAR) AS d, CAST(SUM(u.upload) AS CHAR) AS up
         FROM invoice_usage u
         JOIN invoices i ON i.id = u.invoice_id
         JOIN (SELECT DISTINCT invoice_id, service_id, tariff_code, tariff_version, from_time, to_time FROM invoice_lines WHERE kind = 'usage' AND tariff_code IS NOT NULL) l
           ON l.invoice_id = u.invoice_id AND l.service_id = u.service_id AND u.from_time >= l.from_time AND u.from_time < l.to_time
        WHERE u.kind = 'window' AND i.type = 'invoice' AND i.status <> 'draft' AND i.period_key >= ? AND i.period_key < ?
        GROUP BY i.period_key, l.tariff_code, l.tariff_version`,
      [fromPeriod, toPeriod],
      t,
    );
    return rows.map((r) => ({ periodKey: String(r.p), code: String(r.code), version: Number(r.v), download: big(r.d), upload: big(r.up) }));
  }

  /** Document totals of some periods, per currency and type (the dashboard's comparison). */
  async periodTotals(periodKeys: string[], t?: Transaction): Promise<PeriodTotalRow[]> {
    if (periodKeys.length === 0) return [];
    const rows = await this.q<Record<string, unknown>>(
      `SELECT period_key AS p, currency AS c, type AS ty, CAST(SUM(total_minor) AS CHAR) AS total FROM invoices
        WHERE status <> 'draft' AND period_key IN (${periodKeys.map(() => '?').join(', ')}) GROUP BY period_key, currency, type`,
      periodKeys,
      t,
    );
    return rows.map((r) => ({ periodKey: String(r.p), currency: String(r.c), type: r.ty as DocumentType, totalMinor: big(r.total) }));
  }

  /** The periods documents were issued for, newest first (the reports' period choice). */
  async periods(limit = 36, t?: Transaction): Promise<string[]> {
    const rows = await this.q<{ p: string }>("SELECT DISTINCT period_key AS p FROM invoices WHERE status <> 'draft' ORDER BY period_key DESC LIMIT ?", [limit], t);
    return rows.map((r) => String(r.p));
  }

  /** Every document of an account, for its balance (an account has a few a year: read whole). */
  async accountDocuments(accountId: number, t?: Transaction): Promise<BalanceDocument[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT CAST(id AS CHAR) AS id, type, status, currency, CAST(total_minor AS CHAR) AS total, CAST(credited_invoice_id AS CHAR) AS cr
         FROM invoices WHERE account_id = ? ORDER BY id`,
      [accountId],
      t,
    );
    return rows.map((r) => ({ id: String(r.id), type: r.type as DocumentType, status: r.status as InvoiceStatus, currency: String(r.currency), totalMinor: big(r.total), creditedInvoiceId: r.cr === null ? null : String(r.cr) }));
  }
}
