import { formatMinor } from '../../common/money.js';
import { numberCell, textCell } from './csv.js';
import type { ExportInvoice, ExportLine } from './export.repository.js';

/**
 * The columns of the two CSV exports, and each row as cells: amounts as decimal text in major
 * units with the currency's exponent (12.50 EUR, 1500 JPY, 1.250 KWD), never through a float.
 */
export const INVOICE_COLUMNS = ['number', 'type', 'issue_date', 'due_date', 'account_id', 'customer_name', 'currency', 'net', 'tax', 'total', 'status', 'credited_invoice'];
export const LINE_COLUMNS = ['number', 'position', 'kind', 'service_id', 'description', 'tariff_code', 'tariff_version', 'from', 'to', 'quantity', 'unit', 'unit_price', 'amount', 'tax'];

export function invoiceCells(r: ExportInvoice): string[] {
  const money = (minor: bigint) => numberCell(formatMinor(minor, r.currency));
  return [
    textCell(r.number),
    textCell(r.type),
    textCell(r.issueDate),
    textCell(r.dueDate),
    numberCell(r.accountId),
    textCell(r.customerName),
    textCell(r.currency),
    money(r.netMinor),
    money(r.taxMinor),
    money(r.totalMinor),
    textCell(r.status),
    textCell(r.creditedNumber),
  ];
}

export function lineCells(r: ExportLine): string[] {
  return [
    textCell(r.number),
    numberCell(r.position),
    textCell(r.kind),
    numberCell(r.serviceId),
    textCell(r.description),
    textCell(r.tariffCode),
    numberCell(r.tariffVersion),
    textCell(new Date(r.fromMs).toISOString()),
    textCell(new Date(r.toMs).toISOString()),
    numberCell(r.quantity),
    textCell(r.unit),
    numberCell(r.unitPrice),
    numberCell(formatMinor(r.amountMinor, r.currency)),
    numberCell(formatMinor(r.taxMinor, r.currency)),
  ];
}
