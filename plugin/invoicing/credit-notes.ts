import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { AuditRepository } from '../audit/index.js';
import type { Clock } from '../common/clock.js';
import { ConflictError, ValidationError } from '../common/errors.js';
import type { Database } from '../db/database.js';
import { Dec } from '../common/money.js';
import { pricedOf, taxInvoice, type AccountTax, type RatedLine, type TaxMode } from '../rating/index.js';
import type { RoundingRule } from '../common/money.js';
import type { InvoicesRepository } from './invoices.repository.js';

/**
 * Credit notes staff issue against an invoice (corrections; an issued invoice never changes).
 * Rules:
 * - Only an issued, sent or paid invoice is credited; its credit notes together never credit a
 *   line twice (whole lines, by position), so they never exceed it.
 * - The credit's lines copy the invoice's, with the same amounts; tax is computed with the
 *   invoice's tax rate and mode, so crediting every line reverses the tax to the minor unit
 *   (per-line mode; in total mode, a partial credit's tax is rounded on its own total).
 * - `void`: the invoice becomes void, in the same transaction, and only with a credit of all of
 *   its lines not credited yet; a paid invoice is not voided (refund its payment first).
 * - The same request twice (the same lines of the same invoice) issues one credit note.
 */
export interface CreditNoteDeps {
  db: Database;
  clock: Clock;
  invoices: InvoicesRepository;
  audit: AuditRepository;
  rounding: RoundingRule;
  taxMode: TaxMode;
}

export class CreditNotes {
  constructor(private readonly deps: CreditNoteDeps) {}

  async creditNote(invoiceId: string, options: { reason: string; by: string; lines?: number[]; void?: boolean }): Promise<{ creditNoteId: string; number: string }> {
    const reason = options.reason.trim();
    if (!reason) throw new ValidationError('a credit note needs a reason', [{ field: 'reason', message: 'say why (it is printed on the credit note)' }]);
    return this.deps.db.transaction(async (t) => {
      const inv = await this.deps.invoices.get(invoiceId, t);
      if (inv.type !== 'invoice') throw new ValidationError('only an invoice can be credited', [{ field: 'invoice', message: `${inv.number} is a credit note` }]);
      if (!['issued', 'sent', 'paid'].includes(inv.status)) throw new ConflictError(`invoice ${inv.number} is ${inv.status}: it cannot be credited`);
      if (options.void && inv.status === 'paid') throw new ConflictError(`invoice ${inv.number} is paid: refund the payment before voiding it`);
      const snap = await this.deps.invoices.snapshot(invoiceId, t);
      const credited = await this.creditedPositions(inv.accountId, invoiceId, t);
      const all = snap.document.lines.map((_, i) => i + 1);
      const wanted = options.void ? all.filter((p) => !credited.has(p)) : [...new Set(options.lines ?? all)].sort((a, b) => a - b);
      const bad = wanted.filter((p) => !all.includes(p));
      if (bad.length) throw new ValidationError('no such lines', [{ field: 'lines', message: `invoice ${inv.number} has lines 1-${all.length}, not ${bad.join(', ')}` }]);
      const again = wanted.filter((p) => credited.has(p));
      if (again.length) throw new ConflictError(`lines ${again.join(', ')} of invoice ${inv.number} are credited already`);
      if (wanted.length === 0) throw new ConflictError(`every line of invoice ${inv.number} is credited already`);
      const lines: RatedLine[] = wanted.map((p, i) => {
        const { reduces, ...l } = snap.document.lines[p - 1]!;
        // A discount credited with its line still reduces it (so the pair's tax is reversed exactly); credited alone, it stands alone.
        const base = reduces === undefined ? -1 : wanted.indexOf(p + reduces);
        return { ...l, description: `Credit for line ${p} of ${inv.number}: ${l.description}`, ...(base >= 0 ? { reduces: base - i } : {}) };
      });
      const tax = taxOfInvoice(snap.document.taxes);
      const taxed = taxInvoice(lines.map(pricedOf), tax, this.deps.taxMode, this.deps.rounding);
      const now = this.deps.clock.now().getTime();
      const day = DateTime.fromMillis(now, { zone: snap.timezone }).toISODate()!;
      const key = `credit:${invoiceId}:${createHash('sha256').update(wanted.join(',')).digest('hex').slice(0, 16)}`;
      const existing = await this.deps.invoices.byKey(key, t);
      if (existing) return { creditNoteId: existing.id, number: existing.number! };
      const [cn] = await this.deps.invoices.insertIssued(
        [
          {
            idempotencyKey: key,
            snapshot: {
              ...snap,
              type: 'credit_note',
              paymentTermsDays: 0,
              document: { type: 'credit_note', issuedAtMs: now, period: snap.document.period, lines, lineTaxes: taxed.lines, usage: [], taxes: taxed.taxes, totals: taxed.totals },
              lineServices: wanted.map((p) => snap.lineServices[p - 1] ?? null),
              corrects: { id: invoiceId, number: inv.number! },
              notes: [`Corrects invoice ${inv.number}: ${reason}`, `Lines credited: ${wanted.join(', ')}`],
            },
            periodFromMs: inv.periodFromMs,
            periodToMs: inv.periodToMs,
            issueDate: day,
            dueDate: day,
            creditedInvoiceId: invoiceId,
            billingRunId: null,
            createdBy: options.by,
            usage: [],
          },
        ],
        t,
      );
      if (options.void) await this.deps.invoices.move(invoiceId, 'void', { voidReason: reason }, t);
      await this.deps.audit.record({ actor: options.by, action: 'invoice.credit', entityType: 'invoice', entityId: invoiceId, details: { creditNote: cn!.number, lines: wanted, reason, voided: Boolean(options.void) } }, t);
      return { creditNoteId: cn!.id, number: cn!.number! };
    });
  }

  /** Lines of the invoice that earlier credit notes credited (from their notes). */
  private async creditedPositions(accountId: number, invoiceId: string, t: Parameters<InvoicesRepository['list']>[2]): Promise<Set<number>> {
    const out = new Set<number>();
    const { rows } = await this.deps.invoices.list({ accountId, type: 'credit_note' }, { limit: 10_000, offset: 0 }, t);
    for (const r of rows.filter((x) => x.creditedInvoiceId === invoiceId)) {
      const snap = await this.deps.invoices.snapshot(r.id, t);
      const note = snap.notes.find((n) => n.startsWith('Lines credited: '));
      for (const p of note?.slice('Lines credited: '.length).split(', ') ?? []) out.add(Number(p));
    }
    return out;
  }
}

/** The account tax an invoice was issued with, read back from its tax summary. */
export function taxOfInvoice(taxes: Array<{ name: string; percent: string | null; exemptReason: string | null }>): AccountTax {
  const first = taxes[0];
  if (!first) return { kind: 'rate', name: 'Tax', percent: new Dec(0) };
  if (first.exemptReason !== null) return { kind: 'exempt', reason: first.exemptReason };
  return { kind: 'rate', name: first.name, percent: new Dec(first.percent ?? '0') };
}
