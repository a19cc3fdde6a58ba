import { QueryTypes } from 'sequelize';
import type { Database } from '../../db/database.js';
import { fromSqlTime } from '../../db/sql.js';
import type { DocumentType } from '../invoice.js';
import type { InvoiceStatus } from '../invoice.js';

/**
 * The accountant's export: issued documents and their lines, read in keyset pages (by id) so
 * that 100,000 invoices stream through in bounded memory, never as one result set.
 */
export interface ExportFilter {
  /** Issue dates, inclusive (local dates, YYYY-MM-DD). */
  from?: string;
  to?: string;
  type?: DocumentType;
}

export interface ExportInvoice {
  id: string;
  number: string;
  type: DocumentType;
  issueDate: string;
  dueDate: string;
  accountId: number;
  customerName: string;
  currency: string;
  netMinor: bigint;
  taxMinor: bigint;
  totalMinor: bigint;
  status: InvoiceStatus;
  creditedNumber: string | null;
}

export interface ExportLine {
  lineId: string;
  number: string;
  currency: string;
  position: number;
  kind: string;
  serviceId: number | null;
  description: string;
  tariffCode: string | null;
  tariffVersion: number | null;
  fromMs: number;
  toMs: number;
  quantity: string;
  unit: string;
  unitPrice: string | null;
  amountMinor: bigint;
  taxMinor: bigint;
}

const dateOnly = (v: unknown): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v ?? '').slice(0, 10));

/** The buyer's name as the document was issued to (the snapshot's), not as the account reads today. */
function buyerName(document: unknown): string {
  try {
    const name = (JSON.parse(String(document)) as { buyer?: { name?: unknown } }).buyer?.name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

export class ExportRepository {
  constructor(private readonly db: Database) {}

  private where(f: ExportFilter, alias: string): { sql: string; args: unknown[] } {
    const where = [`${alias}.status <> 'draft'`];
    const args: unknown[] = [];
    if (f.from) (where.push(`${alias}.issue_date >= ?`), args.push(f.from));
    if (f.to) (where.push(`${alias}.issue_date <= ?`), args.push(f.to));
    if (f.type) (where.push(`${alias}.type = ?`), args.push(f.type));
    return { sql: where.join(' AND '), args };
  }

  // 200 a page: each row carries its snapshot (for the buyer as issued), tens of KB at most.
  async *invoices(filter: ExportFilter, pageSize = 200): AsyncGenerator<ExportInvoice> {
    const w = this.where(filter, 'i');
    let after = '0';
    for (;;) {
      const rows = await this.db.sequelize.query<Record<string, unknown>>(
        `SELECT CAST(i.id AS CHAR) AS id, i.number, i.type, i.issue_date, i.due_date, i.account_id, i.currency, CAST(i.net_minor AS CHAR) AS net, CAST(i.tax_minor AS CHAR) AS tax,
                CAST(i.total_minor AS CHAR) AS total, i.status, c.number AS credited_number, i.document
           FROM invoices i LEFT JOIN invoices c ON c.id = i.credited_invoice_id
          WHERE ${w.sql} AND i.id > ? ORDER BY i.id LIMIT ?`,
        { replacements: [...w.args, after, pageSize], type: QueryTypes.SELECT },
      );
      for (const r of rows) {
        yield {
          id: String(r.id),
          number: String(r.number),
          type: r.type as DocumentType,
          issueDate: dateOnly(r.issue_date),
          dueDate: dateOnly(r.due_date),
          accountId: Number(r.account_id),
          customerName: buyerName(r.document),
          currency: String(r.currency),
          netMinor: BigInt(String(r.net)),
          taxMinor: BigInt(String(r.tax)),
          totalMinor: BigInt(String(r.total)),
          status: r.status as InvoiceStatus,
          creditedNumber: r.credited_number === null ? null : String(r.credited_number),
        };
      }
      if (rows.length < pageSize) return;
      after = String(rows[rows.length - 1]!.id);
    }
  }

  async *lines(filter: ExportFilter, pageSize = 1000): AsyncGenerator<ExportLine> {
    const w = this.where(filter, 'i');
    let after = '0';
    for (;;) {
      const rows = await this.db.sequelize.query<Record<string, unknown>>(
        `SELECT CAST(l.id AS CHAR) AS id, i.number, i.currency, l.position, l.kind, l.service_id, l.description, l.tariff_code, l.tariff_version, l.from_time, l.to_time,
                l.quantity, l.unit, l.unit_price, CAST(l.amount_minor AS CHAR) AS amount, CAST(l.tax_minor AS CHAR) AS tax
           FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
          WHERE ${w.sql} AND l.id > ? ORDER BY l.id LIMIT ?`,
        { replacements: [...w.args, after, pageSize], type: QueryTypes.SELECT },
      );
      for (const r of rows) {
        yield {
          lineId: String(r.id),
          number: String(r.number),
          currency: String(r.currency),
          position: Number(r.position),
          kind: String(r.kind),
          serviceId: r.service_id === null ? null : Number(r.service_id),
          description: String(r.description),
          tariffCode: r.tariff_code === null ? null : String(r.tariff_code),
          tariffVersion: r.tariff_version === null ? null : Number(r.tariff_version),
          fromMs: fromSqlTime(r.from_time).getTime(),
          toMs: fromSqlTime(r.to_time).getTime(),
          quantity: String(r.quantity),
          unit: String(r.unit),
          unitPrice: r.unit_price === null ? null : String(r.unit_price),
          amountMinor: BigInt(String(r.amount)),
          taxMinor: BigInt(String(r.tax)),
        };
      }
      if (rows.length < pageSize) return;
      after = String(rows[rows.length - 1]!.id);
    }
  }
}
