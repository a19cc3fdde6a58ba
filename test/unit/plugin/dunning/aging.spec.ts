import { expect } from 'chai';
import { agingRows, agingTotals, bucketOf } from '../../../../plugin/dunning/aging.js';
import { agingCsv } from '../../../../plugin/dunning/web/csv.js';

describe('accounts-receivable aging', () => {
  it('puts days past due into current, 1-30, 31-60, 61-90 and over 90', () => {
    expect([0, 1, 30, 31, 60, 61, 90, 91].map(bucketOf)).to.deep.equal(['current', '1-30', '1-30', '31-60', '31-60', '61-90', '61-90', 'over 90']);
  });

  it('counts what is open but not yet due as current, and totals per currency', () => {
    const owed = new Map([
      [1, { currency: 'EUR', openMinor: 10_000n, overdueMinor: 7_000n, oldestDueDate: '2026-08-01', overdueInvoices: [
        { invoiceId: '1', number: 'INV-000001', dueDate: '2026-08-01', outstandingMinor: 5_000n },
        { invoiceId: '2', number: 'INV-000002', dueDate: '2026-11-20', outstandingMinor: 2_000n },
      ] }],
      [2, { currency: 'EUR', openMinor: 0n, overdueMinor: 0n, oldestDueDate: null, overdueInvoices: [] }],
    ]);
    const rows = agingRows(owed, new Map([[1, '=Müller, "Hans"']]), '2026-12-01');
    expect(rows).to.have.length(1);
    expect(rows[0]!.buckets).to.deep.equal({ current: 3_000n, '1-30': 2_000n, '31-60': 0n, '61-90': 0n, 'over 90': 5_000n });
    expect(rows[0]!.totalMinor).to.equal(10_000n);
    expect(agingTotals(rows)[0]!.buckets['over 90']).to.equal(5_000n);
    const csv = agingCsv(rows);
    expect(csv.startsWith('\uFEFFaccount_id,account,currency,current,days_1_30,days_31_60,days_61_90,over_90,total\r\n')).to.equal(true);
    // A name that starts like a formula is defused, and quoted because of its comma and quotes.
    expect(csv).to.contain('1,"\'=Müller, ""Hans""",EUR,30.00,20.00,0.00,0.00,50.00,100.00\r\n');
  });
});
