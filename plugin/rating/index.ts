/**
 * The rating module's port: pure rules (no I/O) that the billing run, the tariff pages and
 * `octet rate` call with plain values. Time is always an argument.
 */
export { lateUsageDiscountMinor, type LateDiscountIn } from './late-discount.js';
export { applyChargeModel, tierIssues, type ChargeDetail, type ChargeModel, type ChargeResult, type Tier } from './charge-models.js';
export { discountCurve, discountIssues, overlappingDiscounts, discountSpan, lineDiscount, DISCOUNT_KINDS, DISCOUNT_TARGETS, type Discount, type DiscountKind, type DiscountTarget } from './discounts.js';
export { cycleFor, dayOffset, localMidnight, nextPeriod, periodAt, CYCLES, type Cycle, type CycleSpec, type Period } from './periods.js';
export { allocateByDays, cumulativeShare, proratedPart, unusedCredit, type DayRange } from './proration.js';
export { discountOn, pricedOf, rateScenario, sumBuckets, type RatedDocument, type RatedLine, type RatingResult, type UsageSummary } from './rate-scenario.js';
export { ratingJson } from './rating-view.js';
export { parseScenarioText, scenarioIssues, type Scenario, type UsageRow } from './scenario.js';
export { tariffSchema, type Tariff, type TariffInput } from './tariff.js';
export { taxInvoice, TAX_MODES, type AccountTax, type TaxMode, type TaxedInvoice } from './tax.js';
export { constantOffsetStretches, timeBandIssues, utcBandCuts, weighBandTotals, weighByBands, type BandTotal, type TimeBand, type UsageBucket } from './time-bands.js';
export { bytesToUnits, countedBytes, unitLabel, DIRECTIONS, UNITS, UNIT_BYTES, type Direction, type Unit } from './units.js';
