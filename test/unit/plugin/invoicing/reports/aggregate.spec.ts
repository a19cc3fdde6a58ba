import { expect } from 'chai';
import { comparePeriods, kindGroupOf, percentChange, revenueByKind, revenueByMonth, topCustomers, usageByTariff } from '../../../../../plugin/invoicing/reports/aggregate.js';

describe('revenue reports (aggregation)', () => {
  describe('revenue by month of issue', () => {
    it('subtracts credit notes from the month they were issued in with their stored sign, as the statement does (a credit note of a discount alone is stored negative and adds revenue back)', () => {
      const rows = revenueByMonth([
        { month: '2026-02', currency: 'EUR', type: 'invoice', documents: 3, netMinor: 10_000n, taxMinor: 1_900n, totalMinor: 11_900n },
        { month: '2026-02', currency: 'EUR', type: 'credit_note', documents: 1, netMinor: 1_000n, taxMinor: 190n, totalMinor: 1_190n },
        { month: '2026-03', currency: 'EUR', type: 'credit_note', documents: 1, netMinor: -500n, taxMinor: -95n, totalMinor: -595n },
      ]);
      expect(rows).to.deep.equal([
        { month: '2026-02', currency: 'EUR', invoices: 3, creditNotes: 1, netMinor: 9_000n, taxMinor: 1_710n, totalMinor: 10_710n, creditedTotalMinor: 1_190n },
        { month: '2026-03', currency: 'EUR', invoices: 0, creditNotes: 1, netMinor: 500n, taxMinor: 95n, totalMinor: 595n, creditedTotalMinor: -595n },
      ]);
    });

    it('never adds two currencies together, and keeps amounts beyond 2^53 exact', () => {
      const huge = 2n ** 60n + 1n;
      const rows = revenueByMonth([
        { month: '2026-02', currency: 'JPY', type: 'invoice', documents: 1, netMinor: huge, taxMinor: 0n, totalMinor: huge },
        { month: '2026-02', currency: 'EUR', type: 'invoice', documents: 1, netMinor: 100n, taxMinor: 19n, totalMinor: 119n },
      ]);
      expect(rows.map((r) => [r.currency, r.totalMinor])).to.deep.equal([['EUR', 119n], ['JPY', 1_152_921_504_606_846_977n]]);
    });
  });

  describe('top customers', () => {
    it('ranks accounts by invoiced minus credited, per currency, ties by account id, at most N', () => {
      const rows = topCustomers(
        [
          { accountId: 7, currency: 'EUR', invoicedMinor: 5_000n, creditedMinor: 0n },
          { accountId: 3, currency: 'EUR', invoicedMinor: 9_000n, creditedMinor: 4_000n },
          { accountId: 9, currency: 'EUR', invoicedMinor: 6_000n, creditedMinor: 0n },
          { accountId: 1, currency: 'KWD', invoicedMinor: 1_234n, creditedMinor: 0n },
        ],
        2,
      );
      expect(rows.map((r) => [r.currency, r.accountId, r.netMinor])).to.deep.equal([
        ['EUR', 9, 6_000n],
        ['EUR', 3, 5_000n],
        ['KWD', 1, 1_234n],
      ]);
    });
  });

  describe('by kind of charge', () => {
    it('groups line kinds as staff name them, with credits negative and unknown kinds as adjustments', () => {
      expect(kindGroupOf('recurring_item', 'invoice')).to.equal('items');
      expect(kindGroupOf('one_off', 'invoice')).to.equal('items');
      expect(kindGroupOf('late_usage', 'invoice')).to.equal('adjustment');
      expect(kindGroupOf('usage', 'credit_note')).to.equal('credits');
      const [eur] = revenueByKind([
        { currency: 'EUR', type: 'invoice', kind: 'recurring_fee', amountMinor: 3_100n },
        { currency: 'EUR', type: 'invoice', kind: 'usage', amountMinor: 200n },
        { currency: 'EUR', type: 'invoice', kind: 'one_off', amountMinor: 4_990n },
        { currency: 'EUR', type: 'invoice', kind: 'recurring_item', amountMinor: 10n },
        { currency: 'EUR', type: 'invoice', kind: 'top_up', amountMinor: 500n },
        { currency: 'EUR', type: 'credit_note', kind: 'usage', amountMinor: 200n },
        { currency: 'EUR', type: 'invoice', kind: 'adjustment', amountMinor: -30n },
      ]);
      expect(eur!.groups.map((g) => [g.label, g.amountMinor])).to.deep.equal([
        ['Recurring fees', 3_100n],
        ['Usage', 200n],
        ['Top-ups', 500n],
        ['Extra items', 5_000n],
        ['Adjustments', -30n],
        ['Discounts', 0n],
        ['Credits', -200n],
      ]);
      expect(eur!.totalMinor).to.equal(8_570n);
    });

    it('reports discount lines as their own group, and a credit note of a discounted fee by its net (fee credited, discount taken back)', () => {
      expect(kindGroupOf('discount', 'invoice')).to.equal('discounts');
      const [eur] = revenueByKind([
        { currency: 'EUR', type: 'invoice', kind: 'recurring_fee', amountMinor: 3_000n },
        { currency: 'EUR', type: 'invoice', kind: 'discount', amountMinor: -1_500n },
        // The credit note of that invoice: the fee credited (+3000), its discount taken back (-1500).
        { currency: 'EUR', type: 'credit_note', kind: 'recurring_fee', amountMinor: 3_000n },
        { currency: 'EUR', type: 'credit_note', kind: 'discount', amountMinor: -1_500n },
      ]);
      expect(eur!.groups.filter((g) => g.amountMinor !== 0n).map((g) => [g.label, g.amountMinor])).to.deep.equal([
        ['Recurring fees', 3_000n],
        ['Discounts', -1_500n],
        ['Credits', -1_500n],
      ]);
      // Invoiced net 1500, credited net 1500: nothing left, as the documents' totals say.
      expect(eur!.totalMinor).to.equal(0n);
    });
  });

  describe('usage billed per tariff', () => {
    it('puts the bytes of the usage windows beside the amount of the same period and tariff version', () => {
      const rows = usageByTariff(
        [
          { periodKey: '2026-02-01', currency: 'EUR', code: 'HOME-100', version: 2, lines: 3, amountMinor: 600n },
          { periodKey: '2026-02-01', currency: 'EUR', code: 'HOME-100', version: 1, lines: 1, amountMinor: 200n },
        ],
        [
          { periodKey: '2026-02-01', code: 'HOME-100', version: 1, download: 120_000_000_000n, upload: 5_000_000_000n },
          { periodKey: '2026-02-01', code: 'HOME-100', version: 1, download: 1n, upload: 2n },
        ],
      );
      expect(rows.map((r) => [r.tariff, r.download, r.upload, r.amountMinor])).to.deep.equal([
        ['HOME-100 v1', 120_000_000_001n, 5_000_000_002n, 200n],
        ['HOME-100 v2', 0n, 0n, 600n],
      ]);
    });
  });

  describe('this period against the last', () => {
    it('compares invoiced totals net of credits, with the change in percent to one decimal', () => {
      const rows = comparePeriods(
        [
          { periodKey: '2026-03-01', currency: 'EUR', type: 'invoice', totalMinor: 12_000n },
          { periodKey: '2026-03-01', currency: 'EUR', type: 'credit_note', totalMinor: 1_000n },
          { periodKey: '2026-02-01', currency: 'EUR', type: 'invoice', totalMinor: 10_000n },
          { periodKey: '2026-03-01', currency: 'USD', type: 'invoice', totalMinor: 500n },
          { periodKey: '2026-01-01', currency: 'EUR', type: 'invoice', totalMinor: 99_999n },
        ],
        '2026-03-01',
        '2026-02-01',
      );
      expect(rows).to.deep.equal([
        { currency: 'EUR', currentMinor: 11_000n, previousMinor: 10_000n, changeMinor: 1_000n, changePercent: '+10.0%' },
        { currency: 'USD', currentMinor: 500n, previousMinor: 0n, changeMinor: 500n, changePercent: null },
      ]);
    });

    it('rounds the percentage half-up in integers', () => {
      expect(percentChange(2n, 3n)).to.equal('-33.3%');
      expect(percentChange(1_0005n, 10_000n)).to.equal('+0.1%');
      expect(percentChange(9_995n, 10_000n)).to.equal('-0.1%');
      expect(percentChange(0n, 10n)).to.equal('-100.0%');
    });
  });
});
