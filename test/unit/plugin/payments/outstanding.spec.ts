import { expect } from 'chai';
import { summarize, type InvoiceFacts } from '../../../../plugin/payments/outstanding.js';
import { balanceOf, statementLines } from '../../../../plugin/payments/statement.js';

const inv = (id: string, dueDate: string, over: Partial<InvoiceFacts> = {}): InvoiceFacts => ({ invoiceId: id, number: `INV-00000${id}`, status: 'issued', dueDate, totalMinor: 1000n, creditedMinor: 0n, allocatedMinor: 0n, ...over });

describe('what an account owes', () => {
  it('counts issued and sent invoices less credit notes and payments; overdue once the due date has passed', () => {
    const r = summarize('EUR', [inv('1', '2026-02-15', { creditedMinor: 300n }), inv('2', '2026-03-15', { status: 'sent', allocatedMinor: 400n }), inv('3', '2026-01-15', { status: 'paid' }), inv('4', '2026-01-10', { status: 'void' })], '2026-03-15');
    expect(r).to.deep.equal({ currency: 'EUR', openMinor: 1300n, overdueMinor: 700n, oldestDueDate: '2026-02-15', overdueInvoices: [{ invoiceId: '1', number: 'INV-000001', dueDate: '2026-02-15', outstandingMinor: 700n }] });
  });

  it('is nothing when a credit note covers the invoice', () => {
    expect(summarize('EUR', [inv('1', '2026-02-15', { creditedMinor: 1000n })], '2026-03-01')).to.deep.include({ openMinor: 0n, overdueMinor: 0n, oldestDueDate: null });
  });
});

describe('what an account owes, with credit held', () => {
  it('counts the credit as paying the oldest open invoices before any allocation is written', () => {
    const r = summarize('EUR', [inv('2', '2026-03-15'), inv('1', '2026-02-15')], '2026-03-20', 1200n);
    expect(r).to.deep.equal({ currency: 'EUR', openMinor: 800n, overdueMinor: 800n, oldestDueDate: '2026-03-15', overdueInvoices: [{ invoiceId: '2', number: 'INV-000002', dueDate: '2026-03-15', outstandingMinor: 800n }] });
    expect(summarize('EUR', [inv('1', '2026-02-15')], '2026-03-20', 5000n)).to.deep.include({ openMinor: 0n, overdueMinor: 0n, oldestDueDate: null });
  });
});

describe('an account statement', () => {
  it('runs the balance through invoices, credit notes, payments and refunds in order', () => {
    const lines = statementLines([
      { kind: 'payment', atMs: 3, id: '1', reference: 'cash', amountMinor: 1500n },
      { kind: 'invoice', atMs: 1, id: '7', reference: 'INV-000001', amountMinor: 1000n },
      { kind: 'credit_note', atMs: 2, id: '8', reference: 'CN-000001', amountMinor: 200n },
      { kind: 'refund', atMs: 4, id: '1', reference: 'overpaid', amountMinor: 700n },
    ]);
    expect(lines.map((l) => [l.reference, l.signedMinor, l.balanceMinor])).to.deep.equal([
      ['INV-000001', 1000n, 1000n],
      ['CN-000001', -200n, 800n],
      ['cash', -1500n, -700n],
      ['overpaid', 700n, 0n],
    ]);
    expect(balanceOf(lines)).to.deep.equal({ invoicedMinor: 1000n, creditedMinor: 200n, paidMinor: 1500n, refundedMinor: 700n, balanceMinor: 0n });
  });
});
