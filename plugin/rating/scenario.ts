import { DateTime } from 'luxon';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type FieldIssue } from '../common/errors.js';
import { Dec, isKnownCurrency, ROUNDING_RULES, type RoundingRule } from '../common/money.js';
import { DISCOUNT_TARGETS, discountIssues, overlappingDiscounts, type Discount } from './discounts.js';
import { cycleFor, CYCLES, type Cycle } from './periods.js';
import { decimalText, tariffSchema, type Tariff } from './tariff.js';
import { TAX_MODES, type AccountTax, type TaxMode } from './tax.js';
import { timeBandIssues } from './time-bands.js';

/**
 * The rating scenario (what `octet rate` reads): a service's tariffs over time, its account's tax,
 * other items on the same invoice, its hourly usage, and the span of invoices asked for.
 * Rules of the file: YAML or JSON; every number is read from its text (a YAML `0.1` is the
 * decimal 0.1, a 20-digit byte count stays exact), so money never passes through a float; an
 * instant is an ISO date-time with offset or a local date (YYYY-MM-DD, local midnight in the
 * scenario's time zone); unknown keys are errors.
 */

export interface UsageRow {
  hourMs: number;
  download: bigint;
  upload: bigint;
}

export interface Item {
  code: string;
  description: string;
  price: Dec;
  taxInclusive: boolean;
  /** Recurring items cost `price` per period over [fromMs, toMs); one-off items once, at atMs. */
  recurring: boolean;
  fromMs: number | null;
  toMs: number | null;
  atMs: number | null;
}

export interface Scenario {
  currency: string;
  timezone: string;
  cycle: Cycle;
  rounding: RoundingRule;
  bucketMinutes: number;
  tax: AccountTax;
  taxMode: TaxMode;
  tariffs: Tariff[];
  startMs: number;
  endMs: number | null;
  plan: Array<{ tariff: Tariff; fromMs: number }>;
  items: Item[];
  topUps: Array<{ code: string; atMs: number }>;
  /** Discounts of the service (discounts.ts); none when absent. */
  discounts?: Discount[];
  usage: UsageRow[];
  invoicesFromMs: number;
  invoicesToMs: number;
}

const byteText = z.string({ error: 'must be a whole number of bytes' }).regex(/^\d+$/, 'must be a whole number of bytes').transform(BigInt);
const instantText = z.string({ error: 'must be a date (YYYY-MM-DD) or an ISO date-time with offset' });

const rawSchema = z.strictObject({
  currency: z.string().refine(isKnownCurrency, 'must be an ISO 4217 currency code such as EUR, USD, JPY or KWD'),
  timezone: z.string().refine((tz) => DateTime.now().setZone(tz).isValid, 'must be an IANA time zone such as Europe/Berlin'),
  cycle: z.enum(CYCLES).optional(),
  rounding: z.enum(ROUNDING_RULES).optional(),
  bucketMinutes: z.enum(['15', '30', '60']).optional(),
  account: z.strictObject({
    tax: z.union([z.strictObject({ name: z.string().min(1), percent: decimalText }), z.strictObject({ exempt: z.string().min(1, 'give the reason the invoice prints') })]),
    taxOn: z.enum(TAX_MODES).optional(),
  }),
  tariffs: z.array(tariffSchema).min(1, 'needs at least one tariff'),
  service: z.strictObject({
    start: instantText,
    end: instantText.optional(),
    tariffs: z.array(z.strictObject({ tariff: z.string(), version: z.string().regex(/^\d+$/).optional(), from: instantText })).min(1, 'needs the tariff the service starts on'),
  }),
  items: z
    .array(
      z.strictObject({
        code: z.string().min(1),
        description: z.string().min(1),
        price: decimalText,
        taxInclusive: z.boolean().optional(),
        recurring: z.boolean(),
        from: instantText.optional(),
        to: instantText.optional(),
        at: instantText.optional(),
      }),
    )
    .optional(),
  topUps: z.array(z.strictObject({ code: z.string(), at: instantText })).optional(),
  discounts: z
    .array(
      z.strictObject({
        code: z.string().min(1),
        description: z.string().optional(),
        appliesTo: z.enum(DISCOUNT_TARGETS),
        percent: decimalText.optional(),
        amount: decimalText.optional(),
        from: instantText.optional(),
        until: instantText.optional(),
        periods: z.string({ error: 'must be a whole number of periods' }).regex(/^\d+$/, 'must be a whole number of periods').optional(),
      }),
    )
    .optional(),
  usage: z
    .array(
      z.union([
        z.strictObject({ hour: instantText, download: byteText, upload: byteText }),
        z.strictObject({ every: z.literal('hour'), from: instantText, to: instantText, download: byteText, upload: byteText }),
      ]),
    )
    .optional(),
  invoices: z.strictObject({ from: instantText, to: instantText }),
});

/** Plain numbers keep their source text, so decimals and 64-bit counters stay exact. */
const numberAsText = { tag: 'tag:octet.dev,2026:number-text', default: true, test: /^[-+]?(\d[\d_]*)?(\.\d+)?([eE][-+]?\d+)?$/, resolve: (s: string) => s };

export function parseScenarioText(text: string, file: string): Scenario {
  const doc = parseDocument(text, { prettyErrors: true, customTags: (tags) => [numberAsText as never, ...tags] });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(file, [{ field: where, message: `not valid YAML: ${e.message.split('\n')[0]}` }]);
  }
  const input: unknown = doc.toJS() ?? {};
  const parsed = rawSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(file, [firstIssue(parsed.error.issues, [], input)]);
  return toScenario(parsed.data, file);
}

/**
 * The one issue worth a line: the first one; inside a union (a usage row is either shape), the
 * first issue of the alternative that came closest.
 */
function firstIssue(issues: z.core.$ZodIssue[], prefix: PropertyKey[], input: unknown): FieldIssue {
  const issue = issues[0]!;
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    if (closest.length > 0) return firstIssue(closest, path, input);
  }
  const field = path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') return { field, message: `unknown key ${issue.keys.join(', ')}` };
  const value = path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
  if (issue.code === 'invalid_type' && value === undefined) return { field, message: 'is required' };
  return { field, message: issue.message };
}

function toScenario(raw: z.output<typeof rawSchema>, file: string): Scenario {
  const issues: FieldIssue[] = [];
  const tz = raw.timezone;
  const instant = (value: string | undefined, field: string): number => {
    if (value === undefined) return NaN;
    const dt = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: tz }) : DateTime.fromISO(value, { setZone: true });
    if (!dt.isValid || (!/^\d{4}-\d{2}-\d{2}$/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value))) {
      issues.push({ field, message: 'must be a date (YYYY-MM-DD) or an ISO date-time with offset' });
      return NaN;
    }
    return dt.toMillis();
  };
  const bucketMinutes = Number(raw.bucketMinutes ?? '60');
  const startMs = instant(raw.service.start, 'service.start');
  const endMs = raw.service.end === undefined ? null : instant(raw.service.end, 'service.end');
  const plan = raw.service.tariffs.map((p, i) => {
    const matches = raw.tariffs.filter((t) => t.code === p.tariff && (p.version === undefined || t.version === Number(p.version)));
    if (matches.length === 0) issues.push({ field: `service.tariffs.${i}.tariff`, message: `no tariff ${p.tariff}${p.version ? ` version ${p.version}` : ''} in tariffs` });
    if (matches.length > 1) issues.push({ field: `service.tariffs.${i}.version`, message: `tariff ${p.tariff} has several versions: say which` });
    return { tariff: matches[0]!, fromMs: instant(p.from, `service.tariffs.${i}.from`) };
  });
  const usage: UsageRow[] = [];
  const bucketMs = bucketMinutes * 60_000;
  (raw.usage ?? []).forEach((row, i) => {
    if ('hour' in row) {
      const hourMs = instant(row.hour, `usage.${i}.hour`);
      if (Number.isFinite(hourMs) && hourMs % bucketMs !== 0) issues.push({ field: `usage.${i}.hour`, message: `must start a ${bucketMinutes}-minute bucket (UTC)` });
      usage.push({ hourMs, download: row.download, upload: row.upload });
      return;
    }
    const from = instant(row.from, `usage.${i}.from`);
    const to = instant(row.to, `usage.${i}.to`);
    if (from % bucketMs !== 0 || to % bucketMs !== 0 || !(to > from)) {
      issues.push({ field: `usage.${i}.to`, message: `from and to must be ${bucketMinutes}-minute bucket boundaries, to after from` });
      return;
    }
    if ((to - from) / bucketMs > 24 * 400 * (60 / bucketMinutes)) issues.push({ field: `usage.${i}.to`, message: 'at most 400 days per row' });
    else if (usage.length + (to - from) / bucketMs > 2_000_000) issues.push({ field: `usage.${i}`, message: 'at most 2000000 buckets in all' });
    else for (let t = from; t < to; t += bucketMs) usage.push({ hourMs: t, download: row.download, upload: row.upload });
  });
  const items: Item[] = (raw.items ?? []).map((it, i) => {
    if (it.recurring && it.at !== undefined) issues.push({ field: `items.${i}.at`, message: 'a recurring item has from and to, not at' });
    if (!it.recurring && it.at === undefined) issues.push({ field: `items.${i}.at`, message: 'a one-off item needs the instant it is charged at' });
    return {
      code: it.code,
      description: it.description,
      price: it.price,
      taxInclusive: it.taxInclusive ?? false,
      recurring: it.recurring,
      fromMs: it.from === undefined ? null : instant(it.from, `items.${i}.from`),
      toMs: it.to === undefined ? null : instant(it.to, `items.${i}.to`),
      atMs: it.at === undefined ? null : instant(it.at, `items.${i}.at`),
    };
  });
  const discounts: Discount[] = (raw.discounts ?? []).map((d, i) => {
    if ((d.percent === undefined) === (d.amount === undefined)) issues.push({ field: `discounts.${i}.percent`, message: 'give either percent or amount' });
    const discount: Discount = {
      code: d.code,
      description: d.description ?? d.code,
      appliesTo: d.appliesTo,
      kind: d.amount !== undefined ? 'fixed' : 'percent',
      value: d.amount ?? d.percent ?? new Dec(0),
      fromMs: d.from === undefined ? null : instant(d.from, `discounts.${i}.from`),
      untilMs: d.until === undefined ? null : instant(d.until, `discounts.${i}.until`),
      periods: d.periods === undefined ? null : Number(d.periods),
    };
    if (d.percent !== undefined || d.amount !== undefined) issues.push(...discountIssues(discount, `discounts.${i}.`).map((x) => (x.field === `discounts.${i}.amount` || x.field === `discounts.${i}.percent` ? { ...x, field: `discounts.${i}.${d.amount !== undefined ? 'amount' : 'percent'}` } : x)));
    return discount;
  });
  const scenario: Scenario = {
    currency: raw.currency,
    timezone: tz,
    cycle: raw.cycle ?? 'calendar',
    rounding: raw.rounding ?? 'half-up',
    bucketMinutes,
    tax: 'exempt' in raw.account.tax ? { kind: 'exempt', reason: raw.account.tax.exempt } : { kind: 'rate', name: raw.account.tax.name, percent: raw.account.tax.percent },
    taxMode: raw.account.taxOn ?? 'line',
    tariffs: raw.tariffs,
    startMs,
    endMs,
    plan,
    items,
    topUps: (raw.topUps ?? []).map((t, i) => ({ code: t.code, atMs: instant(t.at, `topUps.${i}.at`) })),
    discounts,
    usage,
    invoicesFromMs: instant(raw.invoices.from, 'invoices.from'),
    invoicesToMs: instant(raw.invoices.to, 'invoices.to'),
  };
  if (issues.length === 0) issues.push(...scenarioIssues(scenario));
  if (issues.length) throw new ConfigError(file, [issues[0]!]);
  return scenario;
}

/** What the schema cannot see: order of instants, the currency of each tariff, where top-ups belong. */
export function scenarioIssues(s: Scenario): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const spanTo = Math.max(s.endMs ?? s.invoicesToMs, s.invoicesToMs);
  s.tariffs.forEach((t, i) => {
    if (t.currency !== s.currency) issues.push({ field: `tariffs.${i}.currency`, message: `is ${t.currency}, the account bills in ${s.currency}` });
    issues.push(...timeBandIssues(t.timeBands, { timezone: s.timezone, bucketMinutes: s.bucketMinutes, fromMs: s.startMs, toMs: spanTo }, `tariffs.${i}.usage.timeBands`));
  });
  if (s.endMs !== null && !(s.endMs > s.startMs)) issues.push({ field: 'service.end', message: 'must be after service.start' });
  if (!(s.invoicesToMs > s.invoicesFromMs)) issues.push({ field: 'invoices.to', message: 'must be after invoices.from' });
  // Bounds that keep a mistyped year from rating for hours: 50 years of periods, 2 million buckets.
  if (s.invoicesToMs - s.startMs > 50 * 366 * 86_400_000) issues.push({ field: 'invoices.to', message: 'at most 50 years after service.start' });
  if (s.usage.length > 2_000_000) issues.push({ field: 'usage', message: `at most 2000000 buckets (has ${s.usage.length})` });
  s.plan.forEach((p, i) => {
    if (i === 0 && p.fromMs > s.startMs) issues.push({ field: 'service.tariffs.0.from', message: 'the first tariff must apply from the service start (or before)' });
    if (i > 0 && !(p.fromMs > s.plan[i - 1]!.fromMs)) issues.push({ field: `service.tariffs.${i}.from`, message: 'tariffs are listed in the order they applied, each from a later instant' });
    if (i > 0 && !(p.fromMs > s.startMs)) issues.push({ field: `service.tariffs.${i}.from`, message: 'must be after service.start' });
    if (s.endMs !== null && p.fromMs >= s.endMs) issues.push({ field: `service.tariffs.${i}.from`, message: 'must be before service.end' });
  });
  s.topUps.forEach((t, i) => {
    const tariff = [...s.plan].reverse().find((p) => p.fromMs <= t.atMs)?.tariff;
    if (t.atMs < s.startMs || (s.endMs !== null && t.atMs >= s.endMs)) issues.push({ field: `topUps.${i}.at`, message: 'must be while the service runs' });
    else if (!tariff?.topUps.some((p) => p.code === t.code)) issues.push({ field: `topUps.${i}.code`, message: `tariff ${tariff?.code ?? '?'} offers no top-up ${t.code}` });
  });
  s.items.forEach((it, i) => {
    if (it.fromMs !== null && it.toMs !== null && !(it.toMs > it.fromMs)) issues.push({ field: `items.${i}.to`, message: 'must be after from' });
  });
  (s.discounts ?? []).forEach((d, i) => issues.push(...discountIssues(d, `discounts.${i}.`)));
  if (issues.length === 0 && s.discounts?.length) {
    for (const [i, j] of overlappingDiscounts(s.discounts, s.startMs, cycleFor(s.cycle, s.timezone, s.startMs))) {
      issues.push({ field: `discounts.${j}`, message: `${s.discounts[j]!.code} reduces the same charges as ${s.discounts[i]!.code} on the same days: end one before the other begins` });
    }
  }
  return issues;
}
