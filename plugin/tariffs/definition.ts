import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../common/errors.js';
import type { Dec } from '../common/money.js';
import { tariffSchema, type Tariff, type TariffInput } from '../rating/index.js';

/**
 * A catalogue tariff's definition (pure). Rules:
 * - A version's definition is stored as the tariff *input* that rating's tariffSchema reads
 *   (decimals as text, as typed; code/name/currency/version included). `definitionOf` writes the
 *   canonical input of a parsed tariff (for callers that hold a Tariff, not its input).
 * - Codes follow rating's rule (letters, digits, dot, dash, underscore; at most 64). Codes taken
 *   over from services by migration 0009 may break it; they stay as they are (services refer to
 *   them) and are read with a stand-in code, then given back their own.
 * - Page paths under /tariffs/ are not codes (a tariff "new" would hide the new-tariff form).
 */

export const CODE_RULE = /^[A-Za-z0-9._-]{1,64}$/;
export const RESERVED_CODES = ['new', 'try', 'charges', 'topups'] as const;

export type TariffStatus = 'draft' | 'active' | 'archived';
export const TARIFF_STATUSES: readonly TariffStatus[] = ['draft', 'active', 'archived'];

function issuesOf(error: z.ZodError, input: unknown): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return { field, message: `unknown key ${issue.keys.join(', ')}` };
    const value = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), input);
    if (issue.code === 'invalid_type' && value === undefined) return { field, message: 'is required' };
    return { field, message: issue.message };
  });
}

export function invalid(issues: FieldIssue[]): ValidationError {
  return new ValidationError(issues.map((i) => (i.field ? `${i.field} ${i.message}` : i.message)).join('; '), issues);
}

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Tier fields that are not decimal text. rating's schema runs its tier-table check even when a
 * tier field failed to parse, and that check then throws a TypeError on the raw text; so bad
 * tier fields are found here first and the rest of the tariff is checked without the tiers.
 */
function tierFieldIssues(input: Record<string, unknown>): { issues: FieldIssue[]; withoutTiers: Record<string, unknown> } | null {
  const usage = input.usage as Record<string, unknown> | undefined;
  const charge = usage?.charge as Record<string, unknown> | undefined;
  if (!charge || !Array.isArray(charge.tiers)) return null;
  const issues: FieldIssue[] = [];
  charge.tiers.forEach((tier: unknown, i) => {
    if (typeof tier !== 'object' || tier === null) return void issues.push({ field: `usage.charge.tiers.${i}`, message: 'must be an object' });
    for (const k of ['from', 'to', 'unitPrice', 'flatFee']) {
      const v = (tier as Record<string, unknown>)[k];
      const optional = k === 'to' || k === 'flatFee';
      if (v === undefined && optional) continue;
      if (v === null && k === 'to') continue;
      if (typeof v !== 'string' || !DECIMAL.test(v)) issues.push({ field: `usage.charge.tiers.${i}.${k}`, message: v === undefined ? 'is required' : 'must be a non-negative decimal number such as 12.50' });
    }
  });
  if (!issues.length) return null;
  return { issues, withoutTiers: { ...input, usage: { ...usage, charge: { ...charge, tiers: [{ from: '0', unitPrice: '0' }] } } } };
}

/** Validates a definition with rating's schema; a ValidationError names every bad field. */
export function parseDefinition(input: unknown): Tariff {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid([{ field: '', message: 'the tariff must be an object' }]);
  const tiers = tierFieldIssues(input as Record<string, unknown>);
  if (tiers) {
    const rest = tariffSchema.safeParse(tiers.withoutTiers);
    throw invalid([...tiers.issues, ...(rest.success ? [] : issuesOf(rest.error, tiers.withoutTiers))]);
  }
  const parsed = tariffSchema.safeParse(input);
  if (!parsed.success) throw invalid(issuesOf(parsed.error, input));
  const code = (input as { code?: unknown }).code;
  if ((RESERVED_CODES as readonly unknown[]).includes(code)) throw invalid([{ field: 'code', message: `"${String(code)}" names a page of the tariff pages; choose another code` }]);
  return parsed.data;
}

/** Reads a stored definition (valid when written); a legacy code is carried around the code rule. */
export function readStoredDefinition(text: string, code: string, version: number): Tariff {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const legacy = !CODE_RULE.test(code);
  const tariff = tariffSchema.parse(legacy ? { ...raw, code: 'legacy-code' } : raw);
  return { ...tariff, code, version };
}

const text = (d: Dec): string => d.toFixed();

/** The canonical stored form of a tariff: the input shape, every decimal as text. */
export function definitionOf(t: Tariff): TariffInput {
  const c = t.charge;
  const charge =
    c === null
      ? undefined
      : c.model === 'per_unit'
        ? { model: c.model, unitPrice: text(c.unitPrice), ...(c.block ? { block: text(c.block) } : {}) }
        : c.model === 'package'
          ? { model: c.model, packageSize: text(c.packageSize), packagePrice: text(c.packagePrice), freeUnits: text(c.freeUnits) }
          : { model: c.model, tiers: c.tiers.map((x) => ({ from: text(x.from), ...(x.to === null ? {} : { to: text(x.to) }), unitPrice: text(x.unitPrice), flatFee: text(x.flatFee) })) };
  return {
    code: t.code,
    name: t.name,
    version: String(t.version),
    currency: t.currency,
    recurringFee: text(t.recurringFee),
    taxInclusive: t.taxInclusive,
    usage: {
      direction: t.direction,
      unit: t.unit,
      includedUnits: text(t.includedUnits),
      ...(charge ? { charge } : {}),
      ...(t.timeBands.length ? { timeBands: t.timeBands.map((b) => ({ name: b.name, from: b.from, to: b.to, percent: text(b.percent) })) } : {}),
      ...(t.topUps.length ? { topUps: t.topUps.map((p) => ({ code: p.code, units: text(p.units), price: text(p.price) })) } : {}),
      ...(t.fairUse ? { fairUse: { capUnits: text(t.fairUse.capUnits), throttleRate: t.fairUse.throttleRate } } : {}),
    },
  } as TariffInput;
}

/**
 * What a version stores: the input as it was validated, decimals as typed ("29.90" stays
 * "29.90"), with the catalogue's code, currency and version number first.
 */
export function storedDefinition(input: Record<string, unknown>, fixed: { code: string; currency: string; version: number }): TariffInput {
  const { code: _code, currency: _currency, version: _version, name, ...rest } = input;
  return { code: fixed.code, name, version: String(fixed.version), currency: fixed.currency, ...rest } as TariffInput;
}

/** What migration 0009 stores for a code services used before the catalogue: no price yet. */
export function draftDefinition(code: string, currency: string): TariffInput {
  return { code, name: code, version: '1', currency, recurringFee: '0' } as TariffInput;
}

/** A new version keeps the code and the currency of the tariff it continues. */
export function continuityIssues(current: { code: string; currency: string }, next: { code?: unknown; currency?: unknown }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (next.code !== undefined && next.code !== current.code) issues.push({ field: 'code', message: `cannot change (it is ${current.code}): make a new tariff instead` });
  if (next.currency !== undefined && next.currency !== current.currency) issues.push({ field: 'currency', message: `cannot change between versions (it is ${current.currency}): make a new tariff instead` });
  return issues;
}

export function feeText(t: Tariff): string {
  return `${t.recurringFee.toFixed()} ${t.currency}`;
}


