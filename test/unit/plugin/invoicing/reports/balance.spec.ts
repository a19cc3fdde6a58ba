import { expect } from 'chai';
import { accountBalance, type BalanceDocument } from '../../../../../plugin/invoicing/reports/balance.js';

const doc = (id: string, type: BalanceDocument['type'], status: BalanceDocument['status'], totalMinor: bigint, creditedInvoiceId: string | null = null, currency = 'EUR'): BalanceDocument => ({ id, type, status, currency, totalMinor, creditedInvoiceId });

describe("an account's balance (before payments exist)", () => {
  it('is its issued and sent invoices minus the credit notes not yet refunded', () => {
    const [eur] = accountBalance([doc('1', 'invoice', 'issued', 11_900n), doc('2', 'invoice', 'sent', 5_000n), doc('3', 'invoice', 'paid', 7_000n), doc('4', 'credit_note', 'issued', 1_190n, '1')]);
    expect(eur).to.deep.equal({ currency: 'EUR', openInvoicesMinor: 16_900n, openCreditsMinor: 1_190n, balanceMinor: 15_710n });
  });

  it('does not count the credit note of a voided invoice twice', () => {
    const [eur] = accountBalance([doc('1', 'invoice', 'void', 11_900n), doc('2', 'credit_note', 'issued', 11_900n, '1'), doc('3', 'invoice', 'issued', 3_000n)]);
    expect(eur!.balanceMinor).to.equal(3_000n);
  });

  it('owes the customer a credit note on a paid invoice, and keeps currencies apart', () => {
    const rows = accountBalance([doc('1', 'invoice', 'paid', 10_000n), doc('2', 'credit_note', 'issued', 2_500n, '1'), doc('3', 'invoice', 'issued', 1_234n, null, 'KWD'), doc('4', 'invoice', 'draft', 99n)]);
    expect(rows.map((r) => [r.currency, r.balanceMinor])).to.deep.equal([['EUR', -2_500n], ['KWD', 1_234n]]);
  });
});
