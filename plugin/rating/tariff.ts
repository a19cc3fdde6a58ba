import { z } from 'zod';
import { Dec, decimal, isKnownCurrency } from '../common/money.js';
import { tierIssues, type ChargeModel } from './charge-models.js';
import type { TimeBand } from './time-bands.js';
import { DIRECTIONS, UNITS, type Direction, type Unit } from './units.js';

/**
 * The tariff (a value; the scenario file and, later, the tariff catalogue read it with this
 * schema). Rules:
 * - A tariff is identified by code and version; an invoice line names both.
 * - Money and quantities are decimal text ("29.90"), never binary floats; amounts are in major
 *   units of the tariff's currency, and the recurring fee is the price of one whole period,
 *   charged in advance.
 * - Usage: the traffic that counts (download, upload, both), the unit it is sold in, the
 *   included allowance (units per period), then one charge model for the units above it. With
 *   no charge model, usage is not charged (a flat tariff, possibly with a fair-use cap).
 * - Top-ups: packs a subscriber may buy during a period; each adds its units to that period's
 *   allowance and is charged as its own line.
 * - Fair use: above `capUnits` in a period the service is throttled to `throttleRate` (a
 *   RouterOS rate such as "2M/2M"); rating only stores and reports the crossing.
 * - Prices are tax-exclusive unless `taxInclusive` is true.
 */

export interface TopUp {
  code: string;
  units: Dec;
  price: Dec;
}

export interface FairUse {
  capUnits: Dec;
  throttleRate: string;
}

export interface Tariff {
  code: string;
  name: string;
  version: number;
  currency: string;
  recurringFee: Dec;
  taxInclusive: boolean;
  direction: Direction;
  unit: Unit;
  includedUnits: Dec;
  charge: ChargeModel | null;
  timeBands: TimeBand[];
  topUps: TopUp[];
  fairUse: FairUse | null;
}

const DECIMAL = /^\d+(\.\d+)?$/;
export const decimalText = z
  .string({ error: 'must be a decimal number such as 12.50' })
  .regex(DECIMAL, 'must be a non-negative decimal number such as 12.50')
  .transform((s) => decimal(s));
export const positiveDecimalText = decimalText.refine((d) => d.gt(0), 'must be above 0');
const wholeText = z.string({ error: 'must be a whole number' }).regex(/^\d+$/, 'must be a whole number');

const tierSchema = z.strictObject({
  from: decimalText,
  to: decimalText.nullish(),
  unitPrice: decimalText,
  flatFee: decimalText.optional(),
});

const chargeSchema = z.discriminatedUnion('model', [
  z.strictObject({ model: z.literal('per_unit'), unitPrice: decimalText, block: positiveDecimalText.optional() }),
  z.strictObject({ model: z.literal('package'), packageSize: wholeText.transform((s) => decimal(s)).refine((d) => d.gt(0), 'must be above 0'), packagePrice: decimalText, freeUnits: wholeText.transform((s) => decimal(s)).optional() }),
  z.strictObject({ model: z.literal('graduated'), tiers: z.array(tierSchema) }),
  z.strictObject({ model: z.literal('volume'), tiers: z.array(tierSchema) }),
]);

const bandSchema = z.strictObject({
  name: z.string().min(1),
  from: z.string(),
  to: z.string(),
  percent: decimalText,
});

export const tariffSchema = z
  .strictObject({
    code: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore, at most 64'),
    name: z.string().min(1),
    version: wholeText.transform(Number).optional(),
    currency: z.string().refine(isKnownCurrency, 'must be an ISO 4217 currency code such as EUR, USD, JPY or KWD'),
    recurringFee: decimalText,
    taxInclusive: z.boolean().optional(),
    usage: z
      .strictObject({
        direction: z.enum(DIRECTIONS),
        unit: z.enum(UNITS),
        includedUnits: decimalText.optional(),
        charge: chargeSchema.optional(),
        timeBands: z.array(bandSchema).optional(),
        topUps: z.array(z.strictObject({ code: z.string().min(1), units: positiveDecimalText, price: decimalText })).optional(),
        fairUse: z.strictObject({ capUnits: positiveDecimalText, throttleRate: z.string().regex(/^\d+[kMG]?(\/\d+[kMG]?)?$/, 'must be a rate such as 2M/2M') }).optional(),
      })
      .optional(),
  })
  .superRefine((t, ctx) => {
    const charge = t.usage?.charge;
    // Only when every tier parsed: a field that failed has its own issue already, and is not a decimal.
    const parsed = (v: unknown) => v === undefined || v === null || Dec.isDecimal(v);
    if (charge && (charge.model === 'graduated' || charge.model === 'volume') && Array.isArray(charge.tiers) && charge.tiers.every((x) => x && [x.from, x.to, x.unitPrice, x.flatFee].every(parsed))) {
      const tiers = charge.tiers.map((x) => ({ from: x.from, to: x.to ?? null, unitPrice: x.unitPrice, flatFee: x.flatFee ?? decimal('0') }));
      for (const issue of tierIssues(tiers)) ctx.addIssue({ code: 'custom', message: issue.message, path: ['usage', 'charge', ...issue.field.split('.')] });
    }
    const codes = new Set<string>();
    (t.usage?.topUps ?? []).forEach((p, i) => {
      if (codes.has(p.code)) ctx.addIssue({ code: 'custom', message: `top-up ${p.code} is listed twice`, path: ['usage', 'topUps', i, 'code'] });
      codes.add(p.code);
    });
  })
  .transform((t): Tariff => {
    const zero = decimal('0');
    const u = t.usage;
    let charge: ChargeModel | null = null;
    if (u?.charge) {
      const c = u.charge;
      if (c.model === 'per_unit') charge = { model: 'per_unit', unitPrice: c.unitPrice, block: c.block };
      else if (c.model === 'package') charge = { model: 'package', packageSize: c.packageSize, packagePrice: c.packagePrice, freeUnits: c.freeUnits ?? zero };
      else charge = { model: c.model, tiers: c.tiers.map((x) => ({ from: x.from, to: x.to ?? null, unitPrice: x.unitPrice, flatFee: x.flatFee ?? zero })) };
    }
    return {
      code: t.code,
      name: t.name,
      version: t.version ?? 1,
      currency: t.currency,
      recurringFee: t.recurringFee,
      taxInclusive: t.taxInclusive ?? false,
      direction: u?.direction ?? 'download',
      unit: u?.unit ?? 'GB',
      includedUnits: u?.includedUnits ?? zero,
      charge,
      timeBands: u?.timeBands ?? [],
      topUps: u?.topUps ?? [],
      fairUse: u?.fairUse ?? null,
    };
  });

export type TariffInput = z.input<typeof tariffSchema>;
