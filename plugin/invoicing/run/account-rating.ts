import { DateTime } from 'luxon';
import { Dec, type RoundingRule } from '../../common/money.js';
import {
  cycleFor,
  localMidnight,
  periodAt,
  pricedOf,
  rateScenario,
  scenarioIssues,
  taxInvoice,
  type AccountTax,
  type Discount,
  type DiscountKind,
  type DiscountTarget,
  type Cycle,
  type RatedDocument,
  type RatedLine,
  type Scenario,
  type Tariff,
  type TaxMode,
  type UsageRow,
  type UsageSummary,
} from '../../rating/index.js';

/**
 * One account's documents for a billing date (pure: values in, documents out).
 *
 * Rules (the README states them):
 * - A billing date T is the local midnight a period starts at. A service is due at T when one of
 *   its periods starts at T (calendar: the 1st of the month; anniversary: the day of the month it
 *   started on). Its documents are those the rater (plugin/rating) issues in (previous period
 *   start, T]: the fee of the new period in advance, the usage of the one that ended in arrears,
 *   and what happened in between (a start, a tariff change, an end) with its proration and its
 *   credit for unused days. Every instant belongs to exactly one billing date, so nothing is
 *   billed twice or left out.
 * - The account's due services go on one invoice (and one credit note when something is
 *   credited), lines prefixed with the service's login; tax is computed once over all lines.
 * - The tariff of a period is the version in effect at the period's start (the tariffs port's
 *   rule); changes of tariff apply from the 15-minute bucket they fall in (usage is kept in those).
 * - A service that cannot be rated (no tariff, a draft tariff, a currency other than the
 *   account's, or anything `octet rate` would refuse in the scenario built for it: overlapping
 *   discounts, a tariff's time bands that do not fit the zone, ...) stops the whole account:
 *   nothing is issued for it and the run lists the reason, so a corrected account is billed
 *   whole on the next run.
 * - Discounts of a service apply to its lines; those of the account (no service) to every
 *   service's lines, and, when they apply to all charges, to the account's own extra charges.
 *   An account's discount is a percentage: a fixed amount names its service.
 */

export interface TariffVersionIn {
  tariff: Tariff;
  effectiveFromMs: number;
}

export interface ServiceIn {
  id: number;
  login: string;
  /** Local dates: the first day of service and the last one (inclusive), or null. */
  startDate: string;
  endDate: string | null;
  tariffs: Array<{ code: string; fromMs: number }>;
  /** When the service was entered (created in Octet); absent: treated as entered after its start's billing date had passed. */
  createdAtMs?: number;
  /** The billing date of the first document that carried this service, or null (or absent) while none has. */
  firstBilledMs?: number | null;
}

export interface ChargeIn {
  serviceId: number | null;
  code: string;
  description: string;
  price: Dec;
  taxInclusive: boolean;
  recurring: boolean;
  fromDate: string | null;
  toDate: string | null;
  atMs: number | null;
}

export interface DiscountIn {
  serviceId: number | null;
  code: string;
  description: string;
  appliesTo: DiscountTarget;
  kind: DiscountKind;
  value: Dec;
  /** Local dates: valid from (inclusive) and until (exclusive), either open. */
  fromDate: string | null;
  untilDate: string | null;
  periods: number | null;
}

export interface AccountIn {
  accountId: number;
  currency: string;
  tax: AccountTax;
  services: ServiceIn[];
  catalogue: Map<string, { status: string; versions: TariffVersionIn[] }>;
  charges: ChargeIn[];
  topUps: Array<{ serviceId: number; code: string; atMs: number }>;
  usage: Map<number, UsageRow[]>;
  discounts?: DiscountIn[];
}

export interface RunRules {
  timezone: string;
  cycle: Cycle;
  rounding: RoundingRule;
  taxMode: TaxMode;
  /** A service that starts between billing dates gets its first invoice on the first run from its start day on (billing.invoiceOnStart). */
  invoiceOnStart?: boolean;
}

export interface BilledWindow {
  serviceId: number;
  fromMs: number;
  toMs: number;
  download: bigint;
  upload: bigint;
}

export interface AccountDocument {
  document: RatedDocument;
  lineServices: Array<number | null>;
}

export interface AccountRating {
  /** Services due at T (the rest wait for their own billing date). */
  dueServices: number[];
  /** Those of them no document had carried before T: T becomes their first billing date once issued. */
  firstBilled: number[];
  invoice: AccountDocument | null;
  credit: AccountDocument | null;
  windows: BilledWindow[];
  errors: string[];
}

export const ZERO = new Dec(0);
const BUCKET_MS = 15 * 60_000;

const floorBucket = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;

export function versionAt(versions: TariffVersionIn[], ms: number): TariffVersionIn {
  let pick = versions[0]!;
  for (const v of versions) if (v.effectiveFromMs <= ms && v.effectiveFromMs >= pick.effectiveFromMs) pick = v;
  return pick;
}

/** Start of the service, and the instant after its last day (null while open-ended). */
export function serviceSpan(s: Pick<ServiceIn, 'startDate' | 'endDate'>, timezone: string): { startMs: number; endMs: number | null } {
  const startMs = localMidnight(s.startDate, timezone);
  const endMs = s.endDate === null ? null : localMidnight(DateTime.fromISO(s.endDate, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!, timezone);
  return { startMs, endMs };
}

/**
 * What a run at T carries for a service, or null when the service is not due at T:
 * - `previousDateMs`: the documents carried are those the rater issues in (previousDateMs, T];
 * - `fromMs`..`toMs`: the usage rows the rating reads (every arrears window those documents close);
 * - `plain`: the window is the usual one, (previous period start, T], so one total per service
 *   may stand for its rows when nothing else cuts the window (billing.service.ts usageOf).
 *
 * Rules (the README states them):
 * - T is a billing date of the service when one of its periods starts at T; documents carried
 *   are those after the previous billing date, or after the service's first billing date when
 *   that came later (an invoice on start).
 * - A service that starts on the billing date before T, that no document has carried yet and that
 *   was entered in or before the period it starts in, carries that date's documents too (its
 *   fee in advance): a service starting on the 1st but entered later that day, after the run for
 *   the 1st, has that month's fee on its first invoice instead of never. Otherwise a service's
 *   first documents are those after the billing date before T, as for every later date: an
 *   import of existing customers, or a start set back across a billing date, is not billed for
 *   the periods before.
 * - The first billing date is kept (firstBilledMs): re-rating at it (late usage) gives the same
 *   documents, and a date before it carries nothing more for the service (a later run carried it).
 * - With invoiceOnStart, a service starting between two billing dates is also due on any run
 *   from its start day until its next period starts, until its first document is issued: that
 *   first invoice carries what the rater issues from the start to T (the prorated fee in
 *   advance), and the next billing date carries the rest.
 */
export function usageWindow(s: ServiceIn, T: number, rules: RunRules): { previousDateMs: number; fromMs: number; toMs: number; plain: boolean } | null {
  const { startMs } = serviceSpan(s, rules.timezone);
  const spec = cycleFor(rules.cycle, rules.timezone, startMs);
  const first = s.firstBilledMs ?? null;
  if (first !== null && first > T) return null;
  const firstTime = first === null || first === T;
  const enteredInTime = s.createdAtMs !== undefined && startMs >= periodAt(s.createdAtMs, spec).fromMs;
  // The rows of every arrears window closed after `after`: from the start of the period holding
  // it (or the service's start, when later), up to T.
  const window = (after: number, plain: boolean) => ({
    previousDateMs: after,
    fromMs: Math.min(T, Math.max(floorBucket(startMs), periodAt(Math.max(after, startMs), spec).fromMs)),
    toMs: T,
    plain,
  });
  if (periodAt(T, spec).fromMs !== T) {
    const onStart = rules.invoiceOnStart === true && firstTime && enteredInTime && startMs <= T && T < periodAt(startMs, spec).toMs;
    return onStart ? window(startMs - 1, false) : null;
  }
  const prev = periodAt(T - 1, spec).fromMs;
  const after = firstTime ? (enteredInTime && startMs === prev ? startMs - 1 : prev) : Math.max(prev, first);
  return window(after, after === prev);
}

function plan(s: ServiceIn, startMs: number, endMs: number | null, T: number, a: AccountIn, rules: RunRules): { plan: Scenario['plan']; tariffs: Tariff[] } | string {
  if (s.tariffs.length === 0) return `service ${s.login} has no tariff`;
  const spec = cycleFor(rules.cycle, rules.timezone, startMs);
  const out: Scenario['plan'] = [];
  const hist = s.tariffs.map((h, i) => ({ code: h.code, fromMs: i === 0 ? Math.min(floorBucket(h.fromMs), startMs) : floorBucket(h.fromMs) }));
  for (const [i, h] of hist.entries()) {
    if (i > 0 && endMs !== null && h.fromMs >= endMs) break; // a change after the end bills nothing, and must not cut the last tariff
    const entry = a.catalogue.get(h.code);
    if (!entry) return `service ${s.login}: tariff ${h.code} is not in the catalogue`;
    if (entry.status === 'draft') return `service ${s.login}: tariff ${h.code} is a draft (no price yet): define it on the Tariffs page`;
    const until = hist[i + 1]?.fromMs ?? T + 1;
    if (until <= h.fromMs) continue;
    let at = h.fromMs;
    let version = versionAt(entry.versions, periodAt(at, spec).fromMs);
    out.push({ tariff: version.tariff, fromMs: at });
    // A later version takes over at the start of the first period it is in effect for, while the
    // service runs: one after its end would cut the ended tariff there, and its unused days would
    // never be credited.
    for (let p = periodAt(at, spec).toMs; p < until && p <= T && (endMs === null || p < endMs); p = periodAt(p, spec).toMs) {
      const v = versionAt(entry.versions, p);
      if (v.tariff.version !== version.tariff.version) {
        version = v;
        at = p;
        out.push({ tariff: v.tariff, fromMs: p });
      }
    }
  }
  for (const p of out) if (p.tariff.currency !== a.currency) return `service ${s.login}: tariff ${p.tariff.code} is in ${p.tariff.currency}, the account in ${a.currency}`;
  const tariffs = [...new Map(out.map((p) => [`${p.tariff.code}@${p.tariff.version}`, p.tariff])).values()];
  return { plan: out, tariffs };
}

export function rateAccount(a: AccountIn, T: number, rules: RunRules): AccountRating {
  const errors: string[] = [];
  const dueServices: number[] = [];
  const firstBilled: number[] = [];
  const invoices: Array<{ s: ServiceIn | null; doc: RatedDocument }> = [];
  const credits: Array<{ s: ServiceIn | null; doc: RatedDocument }> = [];
  const windows: BilledWindow[] = [];
  const services = [...a.services].sort((x, y) => x.id - y.id);
  const accountLevel = a.charges.filter((c) => c.serviceId === null);
  for (const s of services) {
    const w = usageWindow(s, T, rules);
    if (!w) continue;
    const { startMs, endMs } = serviceSpan(s, rules.timezone);
    if (startMs > T) continue;
    dueServices.push(s.id);
    if ((s.firstBilledMs ?? null) === null) firstBilled.push(s.id);
    const p = plan(s, startMs, endMs, T, a, rules);
    if (typeof p === 'string') {
      errors.push(p);
      continue;
    }
    const charges = a.charges.filter((c) => c.serviceId === s.id);
    const scenario: Scenario = {
      currency: a.currency,
      timezone: rules.timezone,
      cycle: rules.cycle,
      rounding: rules.rounding,
      bucketMinutes: 15,
      tax: a.tax,
      taxMode: rules.taxMode,
      tariffs: p.tariffs,
      startMs,
      endMs,
      plan: p.plan,
      items: itemsOf(charges, rules),
      discounts: discountsOf((a.discounts ?? []).filter((d) => d.serviceId === s.id || d.serviceId === null), rules),
      topUps: a.topUps.filter((t) => t.serviceId === s.id).map((t) => ({ code: t.code, atMs: t.atMs })),
      usage: (a.usage.get(s.id) ?? []).filter((r) => r.hourMs >= w.fromMs && r.hourMs < w.toMs),
      // Everything after the previous billing date, up to and including this one.
      invoicesFromMs: w.previousDateMs + 1,
      invoicesToMs: T + 1,
    };
    const missingPack = scenario.topUps.find((t) => !p.plan.some((x) => x.tariff.topUps.some((k) => k.code === t.code)));
    if (missingPack) {
      errors.push(`service ${s.login}: top-up ${missingPack.code} is not offered by its tariff`);
      continue;
    }
    const rejected = scenarioIssues(scenario)[0];
    if (rejected) {
      errors.push(`service ${s.login}: ${rejected.field}: ${rejected.message}`);
      continue;
    }
    const result = rateScenario(scenario);
    for (const doc of result.documents) {
      (doc.type === 'invoice' ? invoices : credits).push({ s, doc });
      for (const u of doc.usage) windows.push({ serviceId: s.id, fromMs: u.fromMs, toMs: u.toMs, download: u.downloadBytes, upload: u.uploadBytes });
    }
  }
  const fixedOnAccount = (a.discounts ?? []).find((d) => d.serviceId === null && d.kind === 'fixed');
  if (fixedOnAccount && dueServices.length) errors.push(`discount ${fixedOnAccount.code} of the account is a fixed amount: give it a service, or make it a percentage`);
  if (errors.length) return { dueServices, firstBilled, invoice: null, credit: null, windows: [], errors };
  for (const doc of accountCharges(a, accountLevel, T, rules)) (doc.type === 'invoice' ? invoices : credits).push({ s: null, doc });
  return { dueServices, firstBilled, invoice: merge('invoice', invoices, T, a, rules), credit: merge('credit_note', credits, T, a, rules), windows, errors };
}

function discountsOf(discounts: DiscountIn[], rules: RunRules): Discount[] {
  const at = (date: string | null) => (date === null ? null : localMidnight(date, rules.timezone));
  return discounts.map((d) => ({ code: d.code, description: d.description, appliesTo: d.appliesTo, kind: d.kind, value: d.value, fromMs: at(d.fromDate), untilMs: at(d.untilDate), periods: d.periods }));
}

/** The lines `keep` says, with each discount still pointing at its line (or at none, when that line went). */
export function keepLines(lines: RatedLine[], keep: (l: RatedLine) => boolean): RatedLine[] {
  const index = new Map<number, number>();
  const out: RatedLine[] = [];
  lines.forEach((l, i) => {
    if (!keep(l)) return;
    index.set(i, out.length);
    const base = l.reduces === undefined ? undefined : index.get(i + l.reduces);
    const { reduces: _drop, ...rest } = l;
    out.push(base === undefined ? rest : { ...rest, reduces: base - out.length });
  });
  return out;
}

function itemsOf(charges: ChargeIn[], rules: RunRules): Scenario['items'] {
  return charges.map((c) => ({
    code: c.code,
    description: c.description,
    price: c.price,
    taxInclusive: c.taxInclusive,
    recurring: c.recurring,
    fromMs: c.recurring && c.fromDate ? DateTime.fromISO(c.fromDate, { zone: rules.timezone }).toMillis() : null,
    toMs: c.recurring && c.toDate ? DateTime.fromISO(c.toDate, { zone: rules.timezone }).toMillis() : null,
    atMs: c.recurring ? null : c.atMs,
  }));
}

/**
 * Charges of the account (no service named) belong to no one service, so the end of one (the
 * first, say) must not stop them: they are rated on their own, over the account's life (the
 * first service's start to the last one's end, open while one is), by a tariff that charges
 * nothing, on the billing dates of that life. Their lines carry no service.
 */
function accountCharges(a: AccountIn, charges: ChargeIn[], T: number, rules: RunRules): RatedDocument[] {
  if (charges.length === 0 || a.services.length === 0) return [];
  const startDate = a.services.map((s) => s.startDate).sort()[0]!;
  const endDate = a.services.some((s) => s.endDate === null) ? null : a.services.map((s) => s.endDate!).sort().at(-1)!;
  const life: ServiceIn = { id: 0, login: '', startDate, endDate, tariffs: [] };
  const w = usageWindow(life, T, rules);
  const { startMs, endMs } = serviceSpan(life, rules.timezone);
  if (!w || startMs > T) return [];
  const carrier: Tariff = { code: 'account', name: 'account', version: 1, currency: a.currency, recurringFee: ZERO, taxInclusive: false, direction: 'both', unit: 'GB', includedUnits: ZERO, charge: null, timeBands: [], topUps: [], fairUse: null };
  const result = rateScenario({
    currency: a.currency,
    timezone: rules.timezone,
    cycle: rules.cycle,
    rounding: rules.rounding,
    bucketMinutes: 15,
    tax: a.tax,
    taxMode: rules.taxMode,
    tariffs: [carrier],
    startMs,
    endMs,
    plan: [{ tariff: carrier, fromMs: startMs }],
    items: itemsOf(charges, rules),
    discounts: discountsOf((a.discounts ?? []).filter((d) => d.serviceId === null && d.appliesTo === 'all'), rules),
    topUps: [],
    usage: [],
    invoicesFromMs: w.previousDateMs + 1,
    invoicesToMs: T + 1,
  });
  return result.documents
    .map((d) => ({ ...d, lines: keepLines(d.lines, (l) => l.kind === 'recurring_item' || l.kind === 'one_off' || l.kind === 'discount'), usage: [] }))
    .filter((d) => d.lines.length > 0);
}

/** Several services' documents as one, tax computed once over every line. */
export function merge(type: RatedDocument['type'], docs: Array<{ s: Pick<ServiceIn, 'id' | 'login'> | null; doc: RatedDocument }>, T: number, a: Pick<AccountIn, 'tax'>, rules: RunRules, extra: Array<{ serviceId: number | null; line: RatedLine }> = []): AccountDocument | null {
  const lines: RatedLine[] = [];
  const lineServices: Array<number | null> = [];
  const usage: UsageSummary[] = [];
  for (const { s, doc } of docs) {
    for (const l of doc.lines) {
      lines.push(s ? { ...l, description: `${s.login}: ${l.description}` } : l);
      lineServices.push(s?.id ?? null);
    }
    usage.push(...doc.usage);
  }
  for (const e of extra) {
    lines.push(e.line);
    lineServices.push(e.serviceId);
  }
  if (lines.length === 0) return null;
  const period = docs[0]?.doc.period ?? periodAt(T, cycleFor(rules.cycle, rules.timezone, T));
  const taxed = taxInvoice(lines.map(pricedOf), a.tax, rules.taxMode, rules.rounding);
  return { document: { type, issuedAtMs: T, period, lines, lineTaxes: taxed.lines, usage, taxes: taxed.taxes, totals: taxed.totals }, lineServices };
}

