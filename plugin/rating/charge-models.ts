import type { FieldIssue } from '../common/errors.js';
import { Dec } from '../common/money.js';

/**
 * Charge models (pure): what the units above the included allowance cost, one model per tariff.
 * They follow Lago's definitions (getlago/lago-api, app/services/charge_models/*) so that a tier
 * table written for Lago prices the same here:
 *
 * - per_unit: units x unit price (Lago's "standard"). With a `block`, the quantity is first
 *   rounded up to a whole number of blocks ("per started 100 MB": 130 MB bills 200 MB).
 * - package: free units first, then a price per started package of `packageSize` units:
 *   ceil((units - free) / size) x price; nothing when the units do not exceed the free units.
 * - graduated: each unit is priced by the tier it falls in; every tier the total reaches adds
 *   its flat fee, and the first tier is always reached, so 0 units still bill the first tier's
 *   flat fee (Lago, "fix: apply flat fee even when usage is zero"). Tier bounds as Lago reads
 *   them: when every tier starts exactly where the previous one ends ("adjacent": 0-10, 10-20,
 *   20-) a tier holds (to - from] units; otherwise bounds are inclusive integers (0-10, 11-20,
 *   21-) and a tier starting at `from` > 0 holds units from..to, i.e. to - from + 1 of them.
 * - volume: all units are priced at the one tier the total falls in (the first tier, by `from`,
 *   with from <= ceil(total) and total <= to), plus that tier's flat fee; 0 units bill the
 *   first tier's flat fee.
 *
 * Tier tables are checked (`tierIssues`): the first tier starts at 0 (Lago also allows 1), each
 * next tier starts at the previous `to` (adjacent) or at `to` + 1, every `to` is above its
 * `from`, and only the last tier is open-ended.
 *
 * Amounts here are precise decimals in major units; the caller rounds each line once.
 */

export interface Tier {
  from: Dec;
  /** null: open-ended (the last tier only). */
  to: Dec | null;
  unitPrice: Dec;
  flatFee: Dec;
}

export type ChargeModel =
  | { model: 'per_unit'; unitPrice: Dec; block?: Dec | undefined }
  | { model: 'package'; packageSize: Dec; packagePrice: Dec; freeUnits: Dec }
  | { model: 'graduated'; tiers: Tier[] }
  | { model: 'volume'; tiers: Tier[] };

/** One row under the usage line of an invoice. */
export interface ChargeDetail {
  /** 1-based tier number (graduated, volume). */
  tier?: number;
  from?: Dec;
  to?: Dec | null;
  /** Units priced on this row (for a package: the number of packages). */
  units: Dec;
  unitPrice: Dec;
  flatFee: Dec;
  amount: Dec;
}

export interface ChargeResult {
  /** Units the model was given. */
  units: Dec;
  /** Units the amount is for (after block rounding or free units). */
  billedUnits: Dec;
  amount: Dec;
  details: ChargeDetail[];
}

const ZERO = new Dec(0);

export function applyChargeModel(model: ChargeModel, units: Dec): ChargeResult {
  if (units.isNegative()) throw new RangeError('units must not be negative');
  switch (model.model) {
    case 'per_unit':
      return perUnit(model.unitPrice, model.block, units);
    case 'package':
      return packageModel(model, units);
    case 'graduated':
      return graduated(model.tiers, units);
    case 'volume':
      return volume(model.tiers, units);
  }
}

function perUnit(unitPrice: Dec, block: Dec | undefined, units: Dec): ChargeResult {
  const billed = block ? units.div(block).ceil().times(block) : units;
  const amount = billed.times(unitPrice);
  return { units, billedUnits: billed, amount, details: [{ units: billed, unitPrice, flatFee: ZERO, amount }] };
}

function packageModel(m: { packageSize: Dec; packagePrice: Dec; freeUnits: Dec }, units: Dec): ChargeResult {
  const paid = units.minus(m.freeUnits);
  if (paid.lte(0)) {
    return { units, billedUnits: ZERO, amount: ZERO, details: [{ units: ZERO, unitPrice: m.packagePrice, flatFee: ZERO, amount: ZERO }] };
  }
  const packages = paid.div(m.packageSize).ceil();
  const amount = packages.times(m.packagePrice);
  return { units, billedUnits: paid, amount, details: [{ units: packages, unitPrice: m.packagePrice, flatFee: ZERO, amount }] };
}

/** Lago's adjacency test: at least two tiers, each starting where the previous one ends. */
export function adjacentTiers(tiers: Tier[]): boolean {
  if (tiers.length < 2) return false;
  return tiers.every((t, i) => i === 0 || t.from.equals(tiers[i - 1]!.to ?? ZERO));
}

function graduated(tiers: Tier[], total: Dec): ChargeResult {
  const adjacent = adjacentTiers(tiers);
  const details: ChargeDetail[] = [];
  let amount = ZERO;
  for (const [i, tier] of tiers.entries()) {
    const effective = tier.to !== null && total.gte(tier.to) ? tier.to : total;
    const inTier = tier.from.isZero() ? effective : adjacent ? effective.minus(tier.from) : effective.minus(tier.from).plus(1);
    const unitPrice = inTier.isZero() ? ZERO : tier.unitPrice;
    const rowAmount = inTier.times(unitPrice).plus(tier.flatFee);
    details.push({ tier: i + 1, from: tier.from, to: tier.to, units: inTier, unitPrice, flatFee: tier.flatFee, amount: rowAmount });
    amount = amount.plus(rowAmount);
    if (tier.to === null || tier.to.gte(total)) break;
  }
  return { units: total, billedUnits: total, amount, details };
}

function volume(tiers: Tier[], total: Dec): ChargeResult {
  const sorted = tiers.map((t, i) => ({ t, i })).sort((a, b) => a.t.from.comparedTo(b.t.from));
  const ceil = total.ceil();
  const match = sorted.find(({ t }) => t.from.lte(ceil) && (t.to === null || total.lte(t.to)));
  if (!match) throw new RangeError(`no volume tier holds ${total.toFixed()} units`);
  const { t, i } = match;
  const amount = total.times(t.unitPrice).plus(t.flatFee);
  return { units: total, billedUnits: total, amount, details: [{ tier: i + 1, from: t.from, to: t.to, units: total, unitPrice: t.unitPrice, flatFee: t.flatFee, amount }] };
}

/** Problems with a tier table, each naming the tier (`tiers.N.from`); empty when it is sound. */
export function tierIssues(tiers: Tier[], path = 'tiers'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (tiers.length === 0) return [{ field: path, message: 'needs at least one tier' }];
  tiers.forEach((tier, i) => {
    const at = `${path}.${i}`;
    if (i === 0 && !tier.from.isZero()) issues.push({ field: `${at}.from`, message: 'the first tier starts at 0' });
    if (i > 0) {
      const prevTo = tiers[i - 1]!.to;
      if (prevTo !== null && !tier.from.equals(prevTo) && !tier.from.equals(prevTo.plus(1))) {
        issues.push({ field: `${at}.from`, message: `must be ${prevTo.toFixed()} (where the previous tier ends) or ${prevTo.plus(1).toFixed()}` });
      }
    }
    const last = i === tiers.length - 1;
    if (last && tier.to !== null) issues.push({ field: `${at}.to`, message: 'the last tier is open-ended: leave `to` out' });
    if (!last && tier.to === null) issues.push({ field: `${at}.to`, message: 'only the last tier may be open-ended' });
    if (tier.to !== null && !tier.to.gt(tier.from)) issues.push({ field: `${at}.to`, message: 'must be above from' });
    if (tier.unitPrice.isNegative()) issues.push({ field: `${at}.unitPrice`, message: 'must not be negative' });
    if (tier.flatFee.isNegative()) issues.push({ field: `${at}.flatFee`, message: 'must not be negative' });
  });
  return issues;
}
