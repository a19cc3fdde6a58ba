import { expect } from 'chai';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { rateAccount, serviceSpan, usageWindow, type AccountDocument, type AccountIn, type RunRules } from '../../../../../plugin/invoicing/run/account-rating.js';
import { cycleFor, localMidnight, periodAt, rateScenario, type RatedDocument } from '../../../../../plugin/rating/index.js';
import { accountOf, accountOneGo, billingDates, canonical, oneGo as oneGoOf, rulesOf, shuffle, sum, worldArb, type World } from './world.js';

const RUNS = { numRuns: 200 };

/** Every billing date of any of the account's services, in order. */
function allDates(a: AccountIn, rules: RunRules): number[] {
  return [...new Set(a.services.flatMap((s) => billingDates(s, rules)))].sort((x, y) => x - y);
}

function documentsOf(r: ReturnType<typeof rateAccount>): AccountDocument[] {
  return [r.invoice, r.credit].filter((d): d is AccountDocument => d !== null);
}

function expectConsistent(d: RatedDocument, taxMode: World['taxMode']): void {
  const { netMinor, taxMinor, totalMinor } = d.totals;
  expect(netMinor + taxMinor).to.equal(totalMinor);
  expect(sum(d.taxes.map((t) => t.taxMinor))).to.equal(taxMinor);
  expect(sum(d.taxes.map((t) => t.netMinor))).to.equal(netMinor);
  expect(sum(d.taxes.map((t) => t.grossMinor))).to.equal(totalMinor);
  const exclusive = sum(d.lines.filter((l) => !l.taxInclusive).map((l) => l.amountMinor));
  const inclusive = sum(d.lines.filter((l) => l.taxInclusive).map((l) => l.amountMinor));
  // Exclusive lines are net amounts, inclusive ones gross: the totals are made of them, to the minor unit.
  if (inclusive === 0n) expect(netMinor).to.equal(exclusive);
  if (exclusive === 0n) expect(totalMinor).to.equal(inclusive);
  if (taxMode === 'line') {
    expect(sum(d.lineTaxes.map((t) => t.netMinor!))).to.equal(netMinor);
    expect(sum(d.lineTaxes.map((t) => t.taxMinor!))).to.equal(taxMinor);
    d.lines.forEach((l, i) => expect(l.taxInclusive ? d.lineTaxes[i]!.grossMinor : d.lineTaxes[i]!.netMinor).to.equal(l.amountMinor));
  }
}

/** Net amount of the lines of one kind a service got (invoices minus credit notes). */
function netOf(docs: Array<{ doc: RatedDocument; services?: Array<number | null> }>, kind: string, serviceId?: number | null): bigint {
  let n = 0n;
  for (const { doc, services } of docs) {
    doc.lines.forEach((l, i) => {
      if (l.kind !== kind || (serviceId !== undefined && services && services[i] !== serviceId)) return;
      n += doc.type === 'invoice' ? l.amountMinor : -l.amountMinor;
    });
  }
  return n;
}

describe('the billing run rates an account (properties)', function () {
  // Hundreds of generated accounts per property: seconds on a quiet machine, more on a busy one.
  this.timeout(180_000);
  it('every invoice and credit note totals the sum of its lines to the minor unit, and its tax rows sum to its tax', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const a = accountOf(w);
        const rules = rulesOf(w);
        for (const T of allDates(a, rules)) {
          const r = rateAccount(a, T, rules);
          expect(r.errors).to.deep.equal([]);
          for (const d of documentsOf(r)) {
            expect(d.lineServices).to.have.length(d.document.lines.length);
            expectConsistent(d.document, w.taxMode);
          }
        }
      }),
      RUNS,
    );
  });

  it('walking the billing dates month by month charges each service the recurring fees and usage it is charged in one go: nothing twice, nothing left out', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const a = accountOf(w);
        const rules = rulesOf(w);
        const walked: Array<{ doc: RatedDocument; services: Array<number | null> }> = [];
        for (const T of allDates(a, rules)) for (const d of documentsOf(rateAccount(a, T, rules))) walked.push({ doc: d.document, services: d.lineServices });
        for (const s of a.services) {
          const dates = billingDates(s, rules);
          const whole = rateScenario(oneGoOf(a, s, rules, dates[dates.length - 1]!)).documents.map((doc) => ({ doc }));
          for (const kind of ['recurring_fee', 'recurring_item', 'one_off', 'usage', 'top_up']) expect(netOf(walked, kind, s.id), `${kind} of service ${s.id}`).to.equal(netOf(whole, kind));
        }
        // The account's own charges: over the account's life, on its first service's billing dates.
        const first = [...a.services].sort((x, y) => x.startDate.localeCompare(y.startDate))[0]!;
        const dates = billingDates(first, rules);
        const own = rateScenario(accountOneGo(a, rules, dates[dates.length - 1]!)).documents.map((doc) => ({ doc }));
        for (const kind of ['recurring_item', 'one_off']) expect(netOf(walked, kind, null), `${kind} of the account`).to.equal(netOf(own, kind));
      }),
      RUNS,
    );
  });

  it('bills every byte of a service’s life once, over all runs, and none from before its start or after its end', () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const a = accountOf(w);
        const rules = rulesOf(w);
        const billed = new Map<number, bigint>();
        for (const T of allDates(a, rules)) {
          for (const x of rateAccount(a, T, rules).windows) billed.set(x.serviceId, (billed.get(x.serviceId) ?? 0n) + x.download + x.upload);
        }
        for (const s of a.services) {
          const { startMs, endMs } = serviceSpan(s, rules.timezone);
          const inLife = a.usage.get(s.id)!.filter((r) => r.hourMs >= startMs && (endMs === null || r.hourMs < endMs));
          expect(billed.get(s.id) ?? 0n, `bytes of service ${s.id}`).to.equal(sum(inLife.map((r) => r.download + r.upload)));
        }
      }),
      RUNS,
    );
  });

  it('never depends on the order of the usage rows or of the services', () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 1, max: 1 << 30 }), (w, seed) => {
        const a = accountOf(w);
        const rules = rulesOf(w);
        const shuffled: AccountIn = { ...a, services: shuffle(a.services, seed), usage: new Map([...a.usage].map(([id, rows]) => [id, shuffle(rows, seed + id)])) };
        for (const T of allDates(a, rules)) expect(canonical(rateAccount(shuffled, T, rules))).to.equal(canonical(rateAccount(a, T, rules)));
      }),
      RUNS,
    );
  });

  it('run every day, with services entered up to days after their start (within its period) and each one’s first billing date kept as the run keeps it, each service is charged the fees and usage it is charged in one go, with invoiceOnStart or without', () => {
    fc.assert(
      fc.property(worldArb, fc.boolean(), fc.array(fc.integer({ min: -48, max: 240 }), { minLength: 3, maxLength: 3 }), (w, invoiceOnStart, enteredHours) => {
        const base = accountOf(w);
        const rules: RunRules = { ...rulesOf(w), invoiceOnStart };
        const services = base.services.map((s, i) => {
          const { startMs } = serviceSpan(s, rules.timezone);
          const periodEnd = periodAt(startMs, cycleFor(rules.cycle, rules.timezone, startMs)).toMs;
          return { ...s, createdAtMs: Math.min(startMs + enteredHours[i % 3]! * 3_600_000, periodEnd - 3_600_000), firstBilledMs: null as number | null };
        });
        const last = Math.max(...services.map((s) => billingDates(s, rules).at(-1)!));
        const walked: Array<{ doc: RatedDocument; services: Array<number | null> }> = [];
        const bytes = new Map<number, bigint>();
        let day = DateTime.fromMillis(Math.min(...services.map((s) => s.createdAtMs)), { zone: rules.timezone }).startOf('day');
        for (let T = day.toMillis(); T <= last; day = day.plus({ days: 1 }), T = day.toMillis()) {
          // The run of the day at 00:30 sees the services entered by then.
          const seen = services.filter((s) => s.createdAtMs <= T + 30 * 60_000);
          if (seen.length === 0) continue;
          const r = rateAccount({ ...base, services: seen, charges: base.charges.filter((c) => c.serviceId !== null) }, T, rules);
          expect(r.errors).to.deep.equal([]);
          const docs = documentsOf(r);
          for (const d of docs) walked.push({ doc: d.document, services: d.lineServices });
          for (const x of r.windows) bytes.set(x.serviceId, (bytes.get(x.serviceId) ?? 0n) + x.download + x.upload);
          if (docs.length) for (const id of r.firstBilled) services.find((s) => s.id === id)!.firstBilledMs = T;
        }
        for (const s of services) {
          const dates = billingDates(s, rules);
          const whole = rateScenario(oneGoOf(base, s, rules, dates[dates.length - 1]!)).documents;
          for (const kind of ['recurring_fee', 'recurring_item', 'one_off', 'usage', 'top_up']) expect(netOf(walked, kind, s.id), `${kind} of service ${s.id}`).to.equal(netOf(whole.map((doc) => ({ doc })), kind));
          expect(bytes.get(s.id) ?? 0n, `bytes of service ${s.id}`).to.equal(sum(whole.flatMap((d) => d.usage.map((u) => u.downloadBytes + u.uploadBytes))));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('anniversary cycle: a service that started on the 29th, 30th or 31st is due on the last day of shorter months, and on no other day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), fc.constantFrom(29, 30, 31), fc.constantFrom('Europe/Berlin', 'Asia/Kolkata'), (m, day, timezone) => {
        const month = DateTime.fromObject({ year: 2026, month: 1 }, { zone: 'UTC' }).plus({ months: m });
        if (month.daysInMonth! < day) return;
        const start = month.set({ day });
        const w = { timezone, cycle: 'anniversary' as const, taxMode: 'line' as const };
        const rules = rulesOf(w);
        const a: AccountIn = { ...accountOf(ANNIVERSARY_WORLD), services: [{ id: 10, login: 'anna', startDate: start.toISODate()!, endDate: null, tariffs: [{ code: 'A', fromMs: localMidnight(start.toISODate()!, timezone) }] }] };
        let previous = localMidnight(start.toISODate()!, timezone);
        for (let k = 1; k <= 14; k++) {
          const next = start.plus({ months: k }).startOf('month');
          const due = next.set({ day: Math.min(day, next.daysInMonth!) }).toISODate()!;
          const T = localMidnight(due, timezone);
          const window = usageWindow(a.services[0]!, T, rules);
          expect(window, `due on ${due}`).to.deep.equal({ previousDateMs: previous, fromMs: previous, toMs: T, plain: true });
          expect(rateAccount(a, T, rules).dueServices).to.deep.equal([10]);
          for (const other of [-1, 1]) {
            const d = DateTime.fromISO(due, { zone: 'UTC' }).plus({ days: other }).toISODate()!;
            expect(usageWindow(a.services[0]!, localMidnight(d, timezone), rules), `not due on ${d}`).to.equal(null);
            expect(rateAccount(a, localMidnight(d, timezone), rules).dueServices).to.deep.equal([]);
          }
          previous = T;
        }
      }),
      RUNS,
    );
  });
});

const ANNIVERSARY_WORLD: World = fc.sample(worldArb, { numRuns: 1, seed: 7 })[0]!;
