import { expect } from 'chai';
import fc from 'fast-check';
import { lateUsageDiscountMinor } from '../../../../plugin/rating/late-discount.js';

describe('late usage discount', () => {
  it('is the re-rated window discount minus what was already issued: 10 % of 60.00 re-rated, 5.00 issued, 10.00 late: 1.00', () => {
    expect(lateUsageDiscountMinor({ reratedDiscountMinor: 600n, issuedDiscountMinor: 500n, adjustmentMinor: 1000n })).to.equal(100n);
  });

  it('is never negative (more was issued than the re-rated window gives) and never more than the adjustment', () => {
    expect(lateUsageDiscountMinor({ reratedDiscountMinor: 400n, issuedDiscountMinor: 500n, adjustmentMinor: 1000n })).to.equal(0n);
    expect(lateUsageDiscountMinor({ reratedDiscountMinor: 5000n, issuedDiscountMinor: 0n, adjustmentMinor: 300n })).to.equal(300n);
    expect(lateUsageDiscountMinor({ reratedDiscountMinor: 5000n, issuedDiscountMinor: 0n, adjustmentMinor: 0n })).to.equal(0n);
  });

  it('property: within [0, adjustment], equal to the difference when that fits, and issuing it closes the window (a second pass gives 0)', () => {
    const minor = fc.bigInt({ min: 0n, max: 10_000_000n });
    fc.assert(
      fc.property(minor, minor, minor, (rerated, issued, adjustment) => {
        const d = lateUsageDiscountMinor({ reratedDiscountMinor: rerated, issuedDiscountMinor: issued, adjustmentMinor: adjustment });
        expect(d >= 0n && d <= adjustment).to.equal(true);
        const diff = rerated - issued;
        if (diff >= 0n && diff <= adjustment) expect(d).to.equal(diff);
        if (d === adjustment || diff <= 0n) return;
        expect(lateUsageDiscountMinor({ reratedDiscountMinor: rerated, issuedDiscountMinor: issued + d, adjustmentMinor: adjustment })).to.equal(0n);
      }),
    );
  });
});
