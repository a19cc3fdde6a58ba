/**
 * The discount of a late-usage adjustment (pure). Rule: a window re-rated on the usage it has now
 * gives a discount; what goes with the adjustment is that discount minus the discounts already
 * issued for the window (its first invoice and earlier adjustments), held between 0 and the
 * adjustment's amount, so an adjustment and its discount together are never below zero and a
 * window is never discounted twice. All amounts are integer minor units, positive (a discount
 * given is counted as a positive amount here; the line that carries it is negative).
 */
export interface LateDiscountIn {
  /** The discount of the re-rated window. */
  reratedDiscountMinor: bigint;
  /** The discounts issued for the window so far. */
  issuedDiscountMinor: bigint;
  /** The adjustment's amount (what the late usage costs more). */
  adjustmentMinor: bigint;
}

export function lateUsageDiscountMinor(x: LateDiscountIn): bigint {
  if (x.adjustmentMinor <= 0n) return 0n;
  const d = x.reratedDiscountMinor - x.issuedDiscountMinor;
  if (d <= 0n) return 0n;
  return d > x.adjustmentMinor ? x.adjustmentMinor : d;
}
