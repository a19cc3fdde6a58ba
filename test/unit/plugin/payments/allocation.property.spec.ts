import { expect } from 'chai';
import fc from 'fast-check';
import { allocate, allocateMany, oldestFirst, type OpenInvoice } from '../../../../plugin/payments/allocation.js';

const RUNS = { numRuns: 300 };

const dateArb = fc.integer({ min: 0, max: 120 }).map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10));
const invoicesArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 2_000_000 }), { minLength: 0, maxLength: 8 })
  .chain((seqs) =>
    fc.tuple(...seqs.map((n) => fc.record({ dueDate: dateArb, outstandingMinor: fc.bigInt({ min: 0n, max: 10n ** 12n }) }).map((r) => ({ invoiceId: String(n), number: `INV-${String(n).padStart(6, '0')}`, ...r })))),
  )
  .map((xs) => xs as OpenInvoice[]);
const amountArb = fc.bigInt({ min: 0n, max: 5n * 10n ** 12n });

describe('payment allocation (properties)', () => {
  it('never allocates more than the payment, nor more than an invoice has outstanding, and conserves money to the minor unit', () => {
    fc.assert(
      fc.property(amountArb, invoicesArb, fc.option(fc.nat(9)), (amount, open, pick) => {
        const chosen = pick === null ? undefined : open[pick % Math.max(open.length, 1)]?.invoiceId;
        const r = allocate(amount, open, chosen);
        const total = r.allocations.reduce((s, a) => s + a.amountMinor, 0n);
        expect(total + r.remainderMinor).to.equal(amount);
        expect(r.remainderMinor >= 0n).to.equal(true);
        for (const a of r.allocations) {
          const inv = open.find((i) => i.invoiceId === a.invoiceId)!;
          expect(a.amountMinor > 0n && a.amountMinor <= inv.outstandingMinor).to.equal(true);
        }
        expect(new Set(r.allocations.map((a) => a.invoiceId)).size).to.equal(r.allocations.length);
        // Credit is left only when every invoice is paid in full.
        if (r.remainderMinor > 0n) expect(total).to.equal(open.reduce((s, i) => s + i.outstandingMinor, 0n));
      }),
      RUNS,
    );
  });

  it('pays the oldest due first: an invoice is touched only once every older one is paid in full', () => {
    fc.assert(
      fc.property(amountArb, invoicesArb, (amount, open) => {
        const order = oldestFirst(open.filter((i) => i.outstandingMinor > 0n));
        const r = allocate(amount, open);
        r.allocations.forEach((a, k) => {
          expect(a.invoiceId).to.equal(order[k]!.invoiceId);
          if (k < r.allocations.length - 1) expect(a.amountMinor).to.equal(order[k]!.outstandingMinor);
        });
      }),
      RUNS,
    );
  });

  it('pays a chosen invoice before any other', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), invoicesArb.filter((o) => o.some((i) => i.outstandingMinor > 0n)), (amount, open) => {
        const target = open.filter((i) => i.outstandingMinor > 0n).at(-1)!;
        const r = allocate(amount, open, target.invoiceId);
        expect(r.allocations[0]!.invoiceId).to.equal(target.invoiceId);
        expect(r.allocations[0]!.amountMinor).to.equal(amount < target.outstandingMinor ? amount : target.outstandingMinor);
      }),
      RUNS,
    );
  });

  it('spreads several sums in turn without ever covering an invoice twice', () => {
    fc.assert(
      fc.property(fc.array(amountArb, { maxLength: 4 }), invoicesArb, (amounts, open) => {
        const r = allocateMany(amounts.map((a, i) => ({ sourceId: String(i), amountMinor: a })), open);
        for (const inv of open) {
          const got = r.allocations.filter((a) => a.invoiceId === inv.invoiceId).reduce((s, a) => s + a.amountMinor, 0n);
          expect(got <= inv.outstandingMinor).to.equal(true);
          expect(r.outstanding.get(inv.invoiceId)).to.equal(inv.outstandingMinor - got);
        }
        amounts.forEach((a, i) => {
          const used = r.allocations.filter((x) => x.sourceId === String(i)).reduce((s, x) => s + x.amountMinor, 0n);
          expect(used + r.remainders.get(String(i))!).to.equal(a);
        });
      }),
      RUNS,
    );
  });
});

describe('payment allocation', () => {
  const inv = (id: string, number: string, dueDate: string, outstandingMinor: bigint): OpenInvoice => ({ invoiceId: id, number, dueDate, outstandingMinor });

  it('orders by due date, then by number as the series prints it (INV-999999 before INV-1000000)', () => {
    const order = oldestFirst([inv('3', 'INV-1000000', '2026-02-15', 1n), inv('2', 'INV-999999', '2026-02-15', 1n), inv('1', 'INV-000005', '2026-03-15', 1n)]);
    expect(order.map((i) => i.number)).to.deep.equal(['INV-999999', 'INV-1000000', 'INV-000005']);
  });

  it('pays 25.00 of two invoices of 10.00 and 20.00: the older in full, 15.00 of the newer, nothing left', () => {
    const r = allocate(2500n, [inv('2', 'INV-000002', '2026-03-15', 2000n), inv('1', 'INV-000001', '2026-02-15', 1000n)]);
    expect(r).to.deep.equal({ allocations: [{ invoiceId: '1', amountMinor: 1000n }, { invoiceId: '2', amountMinor: 1500n }], remainderMinor: 0n });
  });

  it('keeps what no invoice takes as the remainder', () => {
    expect(allocate(5000n, [inv('1', 'INV-000001', '2026-02-15', 1200n)]).remainderMinor).to.equal(3800n);
  });
});
