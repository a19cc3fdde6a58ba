import { DateTime } from 'luxon';
import { formatMinor, type Dec } from '../common/money.js';
import type { ChargeDetail } from './charge-models.js';
import type { RatedDocument, RatedLine, RatingResult, UsageSummary } from './rate-scenario.js';

/**
 * The JSON form of a rating (what `octet rate` prints). Bigints (minor units, bytes) and decimals
 * are written as strings so that no JSON reader turns them into floats; instants are ISO
 * date-times in the ISP's zone, with their offset. Decimals that do not terminate (a fee x 22 /
 * 31) are printed to 12 decimal places; the rounded amounts are exact.
 */

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export function ratingJson(result: RatingResult, timezone: string): Json {
  const at = (ms: number) => DateTime.fromMillis(ms, { zone: timezone }).toISO({ suppressMilliseconds: true })!;
  const money = (minor: bigint) => ({ minor: minor.toString(), amount: formatMinor(minor, result.currency) });
  const dec = (d: Dec | null) => (d === null ? null : d.toDecimalPlaces(12).toFixed());
  const detail = (d: ChargeDetail): Json => ({
    ...(d.tier !== undefined ? { tier: d.tier, from: dec(d.from ?? null), to: dec(d.to ?? null) } : {}),
    units: dec(d.units),
    unitPrice: dec(d.unitPrice),
    flatFee: dec(d.flatFee),
    amount: dec(d.amount),
  });
  const line = (l: RatedLine, i: number, doc: RatedDocument): Json => {
    const tax = doc.lineTaxes[i]!;
    return {
      kind: l.kind,
      description: l.description,
      tariff: l.tariff,
      from: at(l.fromMs),
      to: at(l.toMs),
      quantity: dec(l.quantity),
      unit: l.unit,
      unitPrice: dec(l.unitPrice),
      preciseAmount: dec(l.preciseAmount),
      ...money(l.amountMinor),
      taxInclusive: l.taxInclusive,
      tax: tax.taxMinor === null ? null : money(tax.taxMinor),
      ...(l.details.length ? { details: l.details.map(detail) } : {}),
    };
  };
  const usage = (u: UsageSummary): Json => ({
    from: at(u.fromMs),
    to: at(u.toMs),
    tariff: u.tariff,
    bytes: { download: u.downloadBytes.toString(), upload: u.uploadBytes.toString(), counted: u.countedBytes.toString() },
    byBand: u.byBand.map((b) => ({ band: b.band, percent: dec(b.percent), bytes: b.bytes.toString(), weightedBytes: dec(b.weightedBytes) })),
    unit: u.unit,
    units: dec(u.units),
    includedUnits: dec(u.includedUnits),
    topUpUnits: dec(u.topUpUnits),
    chargedUnits: dec(u.chargedUnits),
    fairUse: u.fairUse && { capUnits: dec(u.fairUse.capUnits), throttleRate: u.fairUse.throttleRate, crossedAt: u.fairUse.crossedAtMs === null ? null : at(u.fairUse.crossedAtMs) },
  });
  return {
    currency: result.currency,
    exponent: result.exponent,
    documents: result.documents.map((d) => ({
      type: d.type,
      issuedAt: at(d.issuedAtMs),
      period: { from: at(d.period.fromMs), to: at(d.period.toMs), days: d.period.days },
      lines: d.lines.map((l, i) => line(l, i, d)),
      usage: d.usage.map(usage),
      taxes: d.taxes.map((t) => ({ name: t.name, percent: t.percent, exemptReason: t.exemptReason, net: money(t.netMinor), tax: money(t.taxMinor), gross: money(t.grossMinor) })),
      totals: { net: money(d.totals.netMinor), tax: money(d.totals.taxMinor), total: money(d.totals.totalMinor) },
    })),
    unbilledBytes: Object.fromEntries(Object.entries(result.unbilled).map(([k, v]) => [k, v.toString()])),
  };
}
