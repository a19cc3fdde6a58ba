import type { PluginContext } from '../../../../../plugin/context.js';
import { InvoicesRepository, type InvoiceRecord, type NewDocument } from '../../../../../plugin/invoicing/invoices.repository.js';
import type { InvoiceSnapshot } from '../../../../../plugin/invoicing/snapshot.js';
import { BUYER, ratedInvoice, SELLER } from '../../../../unit/plugin/invoicing/fixtures.js';

/**
 * Issued invoices straight through InvoicesRepository.insertIssued, with a snapshot made from
 * the rating fixture (February's invoice of a rated scenario): no billing run needed.
 */
export function testSnapshot(over: Partial<Omit<InvoiceSnapshot, 'number'>> = {}): Omit<InvoiceSnapshot, 'number'> {
  const document = over.document ?? ratedInvoice(over.currency ?? 'EUR');
  return {
    type: 'invoice',
    accountId: 1,
    periodKey: '2026-02-01',
    currency: 'EUR',
    timezone: 'Europe/Berlin',
    paymentTermsDays: 14,
    seller: SELLER,
    buyer: BUYER,
    branding: { bankDetails: ['IBAN DE02 1203 0000 0000 2020 51'], footer: 'Nordnetz Breitband GmbH' },
    document,
    lineServices: document.lines.map(() => 1),
    corrects: null,
    notes: [],
    ...over,
  };
}

let seq = 0;

export async function issue(ctx: PluginContext, snapshots: Array<Omit<InvoiceSnapshot, 'number'>>, extra: Partial<Pick<NewDocument, 'creditedInvoiceId' | 'issueDate'>> = {}): Promise<InvoiceRecord[]> {
  const invoices = new InvoicesRepository({ db: ctx.db, clock: ctx.clock });
  const docs: NewDocument[] = snapshots.map((s) => ({
    idempotencyKey: `test:${s.type}:${s.accountId}:${++seq}`,
    snapshot: s,
    periodFromMs: s.document.period.fromMs,
    periodToMs: s.document.period.toMs,
    issueDate: extra.issueDate ?? '2026-03-01',
    dueDate: '2026-03-15',
    creditedInvoiceId: extra.creditedInvoiceId ?? null,
    billingRunId: null,
    createdBy: 'test',
    usage: [],
  }));
  return ctx.db.transaction((t) => invoices.insertIssued(docs, t));
}
