import fc from 'fast-check';
import { DateTime } from 'luxon';
import { Dec, decimal } from '../../../../../plugin/common/money.js';
import { serviceSpan, type AccountIn, type ChargeIn, type RunRules, type ServiceIn } from '../../../../../plugin/invoicing/run/account-rating.js';
import { cycleFor, localMidnight, nextPeriod, periodAt, tariffSchema, type Cycle, type Scenario, type Tariff, type TariffInput, type UsageRow } from '../../../../../plugin/rating/index.js';

/**
 * Small worlds for the billing run's rating: an account with a few services on generated
 * tariffs, usage in 15-minute buckets around the services' lives, and the helpers that walk the
 * billing dates and rate the same service in one go (the oracle).
 */

export const BUCKET = 15 * 60_000;
export const DAY = 86_400_000;
export const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);

export function tariff(input: Omit<TariffInput, 'name' | 'currency'> & { name?: string; currency?: string }): Tariff {
  return tariffSchema.parse({ name: input.code, currency: 'EUR', ...input });
}

/** Prices with up to 3 decimals, so line rounding is exercised. */
const price = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 999 })).map(([a, b]) => `${a}.${String(b).padStart(3, '0')}`);
const smallPrice = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`);

const tiers = fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 200 }), smallPrice, smallPrice, smallPrice, smallPrice).map(([a, b, p1, p2, p3, flat]) => [
  { from: '0', to: String(a), unitPrice: p1, flatFee: flat },
  { from: String(a), to: String(a + b), unitPrice: p2 },
  { from: String(a + b), unitPrice: p3 },
]);

export const chargeArb: fc.Arbitrary<NonNullable<NonNullable<TariffInput['usage']>['charge']> | undefined> = fc.oneof(
  fc.constant(undefined),
  smallPrice.map((unitPrice) => ({ model: 'per_unit' as const, unitPrice })),
  fc.tuple(fc.integer({ min: 1, max: 50 }), price).map(([size, packagePrice]) => ({ model: 'package' as const, packageSize: String(size), packagePrice })),
  tiers.map((t) => ({ model: 'graduated' as const, tiers: t })),
  tiers.map((t) => ({ model: 'volume' as const, tiers: t })),
);

export const tariffArb = (code: string, taxInclusive: boolean): fc.Arbitrary<Tariff> =>
  fc
    .record({ fee: price, included: fc.integer({ min: 0, max: 30 }), charge: chargeArb, direction: fc.constantFrom('download', 'upload', 'both' as const) })
    .map(({ fee, included, charge, direction }) =>
      tariff({ code, recurringFee: fee, taxInclusive, usage: { direction, unit: 'GB', includedUnits: String(included), ...(charge ? { charge } : {}), topUps: [{ code: 'P10', units: '10', price: '4.99' }] } }),
    );

export interface ServiceWorld {
  startDay: number;
  lengthDays: number | null;
  /** Offset of a tariff change from the start, in 15-minute buckets (inside the service's life). */
  changeBucket: number | null;
  usage: Array<{ bucket: number; download: bigint; upload: bigint }>;
  topUpBucket: number | null;
}

const serviceArb: fc.Arbitrary<ServiceWorld> = fc.record({
  startDay: fc.integer({ min: 0, max: 75 }),
  lengthDays: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }),
  changeBucket: fc.option(fc.integer({ min: 1, max: 96 * 120 }), { nil: null }),
  // Buckets from 10 days before the start to well after the longest life.
  usage: fc.array(fc.record({ bucket: fc.integer({ min: -96 * 10, max: 96 * 135 }), download: fc.bigInt(0n, 60n * 10n ** 9n), upload: fc.bigInt(0n, 20n * 10n ** 9n) }), { maxLength: 25 }),
  topUpBucket: fc.option(fc.integer({ min: 0, max: 96 * 120 }), { nil: null }),
});

export const worldArb = fc.record({
  timezone: fc.constantFrom('Europe/Berlin', 'Asia/Kolkata'),
  cycle: fc.constantFrom<Cycle>('calendar', 'anniversary'),
  currency: fc.constantFrom('EUR', 'KWD'),
  taxMode: fc.constantFrom('line' as const, 'total' as const),
  exempt: fc.boolean(),
  taxInclusive: fc.boolean(),
  tariffs: fc.boolean().chain((inc) => fc.tuple(fc.constant(inc), tariffArb('A', inc), tariffArb('B', inc))),
  services: fc.array(serviceArb, { minLength: 1, maxLength: 3 }),
  extra: fc.option(fc.record({ price, fromDay: fc.integer({ min: 0, max: 100 }), days: fc.integer({ min: 1, max: 120 }) }), { nil: null }),
  /** A new version of tariff A (another fee and allowance), in effect from an arbitrary bucket. */
  versionTwo: fc.option(fc.record({ bucket: fc.integer({ min: 0, max: 96 * 220 }), fee: price, included: fc.integer({ min: 0, max: 30 }) }), { nil: null }),
  /** A charge of the account (no service): recurring from a day, maybe to another, or a one-off at a bucket. */
  accountCharge: fc.option(fc.record({ price, recurring: fc.boolean(), fromDay: fc.integer({ min: 0, max: 200 }), days: fc.option(fc.integer({ min: 1, max: 120 }), { nil: null }) }), { nil: null }),
});
export type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

const BASE_DATE = DateTime.fromISO('2026-01-01', { zone: 'UTC' });
export const dateAfter = (days: number) => BASE_DATE.plus({ days }).toISODate()!;

export function rulesOf(w: Pick<World, 'timezone' | 'cycle' | 'taxMode'>): RunRules {
  return { timezone: w.timezone, cycle: w.cycle, rounding: 'half-up', taxMode: w.taxMode };
}

/** The service's life as instants, and where its generated events fall. */
function lifeOf(sw: ServiceWorld, tz: string) {
  const startDate = dateAfter(sw.startDay);
  const endDate = sw.lengthDays === null ? null : dateAfter(sw.startDay + sw.lengthDays - 1);
  const { startMs, endMs } = serviceSpan({ startDate, endDate }, tz);
  const inLife = (ms: number) => ms > startMs && (endMs === null || ms < endMs);
  const changeMs = sw.changeBucket === null ? null : startMs + sw.changeBucket * BUCKET;
  const topUpMs = sw.topUpBucket === null ? null : startMs + sw.topUpBucket * BUCKET;
  return { startDate, endDate, startMs, endMs, changeMs: changeMs !== null && inLife(changeMs) ? changeMs : null, topUpMs: topUpMs !== null && (topUpMs === startMs || inLife(topUpMs)) ? topUpMs : null };
}

export function accountOf(w: World): AccountIn {
  const [, a, b] = w.tariffs;
  const cur = (t: Tariff): Tariff => ({ ...t, currency: w.currency });
  const services: ServiceIn[] = [];
  const usage = new Map<number, UsageRow[]>();
  const topUps: AccountIn['topUps'] = [];
  w.services.forEach((sw, i) => {
    const id = 10 + i;
    const life = lifeOf(sw, w.timezone);
    services.push({ id, login: `user${i}`, startDate: life.startDate, endDate: life.endDate, tariffs: [{ code: 'A', fromMs: life.startMs }, ...(life.changeMs === null ? [] : [{ code: 'B', fromMs: life.changeMs }])] });
    usage.set(id, sw.usage.map((u) => ({ hourMs: life.startMs + u.bucket * BUCKET, download: u.download, upload: u.upload })));
    if (life.topUpMs !== null) topUps.push({ serviceId: id, code: 'P10', atMs: life.topUpMs });
  });
  const charges: ChargeIn[] = w.extra
    ? [{ serviceId: 10, code: 'STATIC-IP', description: 'Static IP', price: decimal(w.extra.price), taxInclusive: w.tariffs[0], recurring: true, fromDate: dateAfter(w.services[0]!.startDay + w.extra.fromDay), toDate: dateAfter(w.services[0]!.startDay + w.extra.fromDay + w.extra.days), atMs: null }]
    : [];
  const ac = w.accountCharge;
  if (ac) {
    const fromDate = dateAfter(ac.fromDay);
    charges.push(
      ac.recurring
        ? { serviceId: null, code: 'SUPPORT', description: 'Support plan', price: decimal(ac.price), taxInclusive: w.tariffs[0], recurring: true, fromDate, toDate: ac.days === null ? null : dateAfter(ac.fromDay + ac.days), atMs: null }
        : { serviceId: null, code: 'ROUTER', description: 'Router', price: decimal(ac.price), taxInclusive: w.tariffs[0], recurring: false, fromDate: null, toDate: null, atMs: localMidnight(fromDate, w.timezone) + (ac.days ?? 0) * BUCKET },
    );
  }
  return {
    accountId: 1,
    currency: w.currency,
    tax: w.exempt ? { kind: 'exempt', reason: 'reverse charge' } : { kind: 'rate', name: 'VAT', percent: new Dec(19) },
    services,
    catalogue: new Map([
      ['A', { status: 'active', versions: [{ tariff: cur(a), effectiveFromMs: 0 }, ...(w.versionTwo ? [{ tariff: { ...cur(a), version: 2, recurringFee: decimal(w.versionTwo.fee), includedUnits: new Dec(w.versionTwo.included) }, effectiveFromMs: localMidnight(dateAfter(0), w.timezone) + w.versionTwo.bucket * BUCKET }] : [])] }],
      ['B', { status: 'active', versions: [{ tariff: cur(b), effectiveFromMs: 0 }] }],
    ]),
    charges,
    topUps,
    usage,
  };
}

/** Local date far after every generated life and usage row: walks stop at the last billing date before it. */
export const WALK_UNTIL = '2026-09-01';

/** Every billing date of a service, from the first at or after its start, up to WALK_UNTIL. */
export function billingDates(s: ServiceIn, rules: RunRules): number[] {
  const { startMs } = serviceSpan(s, rules.timezone);
  const spec = cycleFor(rules.cycle, rules.timezone, startMs);
  const limit = localMidnight(WALK_UNTIL, rules.timezone);
  const out: number[] = [];
  let p = periodAt(startMs, spec);
  if (p.fromMs < startMs) p = nextPeriod(p, spec);
  for (; p.fromMs <= limit; p = nextPeriod(p, spec)) out.push(p.fromMs);
  return out;
}

/** The same service rated in one go over its whole life (what `octet rate` would say). */
export function oneGo(a: AccountIn, s: ServiceIn, rules: RunRules, lastDateMs: number): Scenario {
  const { startMs, endMs } = serviceSpan(s, rules.timezone);
  // The catalogue's rule, written out: a period is rated by the version in effect at its start.
  const spec = cycleFor(rules.cycle, rules.timezone, startMs);
  const versionAt = (code: string, ms: number) => [...a.catalogue.get(code)!.versions].sort((x, y) => x.effectiveFromMs - y.effectiveFromMs).filter((v, i) => i === 0 || v.effectiveFromMs <= ms).at(-1)!.tariff;
  const plan: Scenario['plan'] = [];
  s.tariffs.forEach((h, i) => {
    const until = Math.min(s.tariffs[i + 1]?.fromMs ?? Infinity, endMs ?? Infinity);
    let t = versionAt(h.code, periodAt(h.fromMs, spec).fromMs);
    plan.push({ tariff: t, fromMs: h.fromMs });
    for (let p = periodAt(h.fromMs, spec).toMs; p < until && p <= lastDateMs; p = periodAt(p, spec).toMs) {
      if (versionAt(h.code, p) !== t) plan.push({ tariff: (t = versionAt(h.code, p)), fromMs: p });
    }
  });
  return {
    currency: a.currency,
    timezone: rules.timezone,
    cycle: rules.cycle,
    rounding: rules.rounding,
    bucketMinutes: 15,
    tax: a.tax,
    taxMode: rules.taxMode,
    tariffs: [...new Set(plan.map((p) => p.tariff))],
    startMs,
    endMs,
    plan,
    items: a.charges
      .filter((c) => c.serviceId === s.id)
      .map((c) => ({ code: c.code, description: c.description, price: c.price, taxInclusive: c.taxInclusive, recurring: c.recurring, fromMs: c.fromDate ? localMidnight(c.fromDate, rules.timezone) : null, toMs: c.toDate ? localMidnight(c.toDate, rules.timezone) : null, atMs: c.atMs })),
    topUps: a.topUps.filter((t) => t.serviceId === s.id).map((t) => ({ code: t.code, atMs: t.atMs })),
    usage: a.usage.get(s.id) ?? [],
    invoicesFromMs: startMs,
    invoicesToMs: lastDateMs + 1,
  };
}

/** The account's own charges rated in one go over the account's life (first start to last end). */
export function accountOneGo(a: AccountIn, rules: RunRules, lastDateMs: number): Scenario {
  const startDate = a.services.map((s) => s.startDate).sort()[0]!;
  const endDate = a.services.some((s) => s.endDate === null) ? null : a.services.map((s) => s.endDate!).sort().at(-1)!;
  const { startMs, endMs } = serviceSpan({ startDate, endDate }, rules.timezone);
  const nothing = tariff({ code: 'NOTHING', currency: a.currency, recurringFee: '0' });
  const life: ServiceIn = { id: 0, login: '', startDate, endDate, tariffs: [{ code: 'NOTHING', fromMs: startMs }] };
  const own: AccountIn = { ...a, services: [life], charges: a.charges.filter((c) => c.serviceId === null).map((c) => ({ ...c, serviceId: 0 })), catalogue: new Map([['NOTHING', { status: 'active', versions: [{ tariff: nothing, effectiveFromMs: 0 }] }]]) };
  return oneGo(own, life, rules, lastDateMs);
}

/** JSON of a rating with bigints and decimals as text, for comparing two ratings. */
export const canonical = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

/** A deterministic shuffle (fast-check gives the seed). */
export function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let r = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    r = (r * 1103515245 + 12345) % 2147483648;
    const j = r % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
