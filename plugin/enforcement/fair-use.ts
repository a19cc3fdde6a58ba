import { Dec } from '../common/money.js';
import { bytesToUnits, countedBytes, weighBandTotals, type Tariff } from '../rating/index.js';
import type { EnforcementState } from '../common/wire.js';
import type { CauseKind } from './state.js';

/**
 * The fair-use rule (pure): a service whose counted usage in the current period is over its
 * tariff's fair-use cap (in the tariff's unit, weighted by its time bands, as the invoice counts
 * it, the cap prorated by `share`: the part of the period the service runs) is throttled to the tariff's rate; once a new period starts (usage back under the cap) a
 * throttle that fair use set is lifted. Fair use never touches a suspension, nor a throttle that
 * staff set: those belong to whoever set them.
 */
export type FairUseAction = { desired: 'throttled'; rate: string; detail: string } | { desired: 'active'; detail: string } | null;

export function fairUseAction(
  tariff: Pick<Tariff, 'fairUse' | 'unit' | 'direction' | 'timeBands'>,
  usage: { bands: Array<{ band: string | null; download: bigint; upload: bigint }> },
  current: { desired: EnforcementState; rate: string | null; causeKind: CauseKind | null },
  periodFromDate: string,
  share: Dec = new Dec(1),
): FairUseAction {
  const mine = current.desired === 'throttled' && current.causeKind === 'fair_use';
  if (current.desired === 'suspended' || (current.desired === 'throttled' && !mine)) return null;
  const fu = tariff.fairUse;
  const totals = usage.bands.map((b) => ({ band: b.band, bytes: countedBytes(b, tariff.direction) }));
  const used = bytesToUnits(weighBandTotals(totals, tariff.timeBands).weightedBytes, tariff.unit);
  const cap = fu ? fu.capUnits.times(share) : null;
  if (fu && cap && used.gt(cap)) {
    if (mine && current.rate === fu.throttleRate) return null;
    return { desired: 'throttled', rate: fu.throttleRate, detail: `fair-use cap of ${cap.toDecimalPlaces(3).toString()} ${tariff.unit} passed in the period from ${periodFromDate}` };
  }
  return mine ? { desired: 'active', detail: fu ? `under the fair-use cap in the period from ${periodFromDate}` : 'the tariff has no fair-use cap any more' } : null;
}
