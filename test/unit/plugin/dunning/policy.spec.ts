import { expect } from 'chai';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { decideDunning, outsideWindow, type AccountDunningState, type AccountOutstanding, type DunningPolicy, type OpenInvoice } from '../../../../plugin/dunning/policy.js';

const POLICY: DunningPolicy = {
  timezone: 'Europe/Berlin',
  reminders: [-3, 1, 7],
  graceDays: 3,
  suspendAfterDays: 14,
  minimumOverdue: { EUR: '5.00' },
  window: { weekdays: [1, 2, 3, 4, 5], fromHour: 9, toHour: 17, holidays: ['2026-12-24'] },
};
// Tuesday 2026-12-01 10:00 in Berlin: inside the window.
const TUESDAY_10 = new Date('2026-12-01T09:00:00Z');

const STATE: AccountDunningState = { exempt: false, exemptReason: null, promiseUntil: null, suspended: false, reminded: new Set() };

function owing(invoices: Array<[dueDate: string, minor: bigint]>, currency = 'EUR'): AccountOutstanding {
  const overdueInvoices: OpenInvoice[] = invoices.map(([dueDate, m], i) => ({ invoiceId: String(i + 1), number: `INV-00000${i + 1}`, dueDate, outstandingMinor: m }));
  const sum = overdueInvoices.reduce((s, i) => s + i.outstandingMinor, 0n);
  return { currency, openMinor: sum, overdueMinor: sum, oldestDueDate: overdueInvoices[0]?.dueDate ?? null, overdueInvoices };
}

describe('the dunning decision', () => {
  it('suspends an account whose invoice is 14 days past due, above the minimum, inside the window', () => {
    const d = decideDunning({ outstanding: owing([['2026-11-17', 2999n]]), state: STATE, policy: POLICY, now: TUESDAY_10 });
    expect(d.suspend).to.equal(true);
    expect(d.restore).to.equal(false);
    expect(d.overdueMinor).to.equal(2999n);
    expect(d.daysPastDue).to.equal(14);
    expect(d.reasons).to.include('overdue 14 days (INV-000001): suspend');
  });

  it('does not suspend 13 days past due, and says why', () => {
    const d = decideDunning({ outstanding: owing([['2026-11-18', 2999n]]), state: STATE, policy: POLICY, now: TUESDAY_10 });
    expect(d.suspend).to.equal(false);
    expect(d.reasons).to.include('not suspended: overdue 13 days, suspension after 14');
  });

  it('with suspendAfterDays 0 and no grace, suspends on the first overdue day (the day after the due date), not on the due date', () => {
    const policy: DunningPolicy = { ...POLICY, graceDays: 0, suspendAfterDays: 0 };
    const first = decideDunning({ outstanding: owing([['2026-11-30', 2999n]]), state: STATE, policy, now: TUESDAY_10 });
    expect(first.suspend).to.equal(true);
    expect(first.daysPastDue).to.equal(1);
    expect(first.reasons).to.include('overdue 1 days (INV-000001): suspend');
    // Due today: not overdue yet (payments does not count it), so nothing to suspend.
    const dueToday = decideDunning({ outstanding: owing([['2026-12-01', 2999n]]), state: STATE, policy, now: TUESDAY_10 });
    expect(dueToday.suspend).to.equal(false);
  });

  it('does not count an invoice still in its grace period', () => {
    const d = decideDunning({ outstanding: owing([['2026-11-28', 2999n]]), state: STATE, policy: POLICY, now: TUESDAY_10 });
    expect(d.overdueMinor).to.equal(0n);
    expect(d.suspend).to.equal(false);
  });

  it('does not suspend below the minimum (4.99 EUR against 5.00)', () => {
    const d = decideDunning({ outstanding: owing([['2026-10-01', 499n]]), state: STATE, policy: POLICY, now: TUESDAY_10 });
    expect(d.suspend).to.equal(false);
    expect(d.reasons).to.include('not suspended: overdue amount below the minimum for EUR');
  });

  it('does not suspend on a listed holiday, on a Saturday or at 17:00 local time', () => {
    const o = owing([['2026-10-01', 9999n]]);
    expect(decideDunning({ outstanding: o, state: STATE, policy: POLICY, now: new Date('2026-12-24T10:00:00Z') }).reasons).to.include('not suspended: 2026-12-24 is a listed holiday');
    expect(decideDunning({ outstanding: o, state: STATE, policy: POLICY, now: new Date('2026-12-05T10:00:00Z') }).suspend).to.equal(false);
    expect(decideDunning({ outstanding: o, state: STATE, policy: POLICY, now: new Date('2026-12-01T16:00:00Z') }).reasons).to.include('not suspended: 17:00 is outside suspension hours 9:00-17:00');
  });

  it('does not suspend an exempt account or one that promised to pay by today, and sends them no reminder', () => {
    const o = owing([['2026-10-01', 9999n]]);
    const exempt = decideDunning({ outstanding: o, state: { ...STATE, exempt: true, exemptReason: 'hospital' }, policy: POLICY, now: TUESDAY_10 });
    expect(exempt.suspend).to.equal(false);
    expect(exempt.remind).to.deep.equal([]);
    expect(exempt.reasons[0]).to.equal('exempt: hospital');
    const promised = decideDunning({ outstanding: o, state: { ...STATE, promiseUntil: '2026-12-01' }, policy: POLICY, now: TUESDAY_10 });
    expect(promised.suspend).to.equal(false);
    const broken = decideDunning({ outstanding: o, state: { ...STATE, promiseUntil: '2026-11-30' }, policy: POLICY, now: TUESDAY_10 });
    expect(broken.suspend).to.equal(true);
  });

  it('restores a dunning suspension when nothing overdue remains, at any hour', () => {
    const d = decideDunning({ outstanding: null, state: { ...STATE, suspended: true }, policy: POLICY, now: new Date('2026-12-05T23:00:00Z') });
    expect(d).to.include({ suspend: false, restore: true });
    expect(d.reasons).to.include('nothing overdue remains: restore');
  });

  it('reminds 3 days before the due date, then 1 and 7 days after, once each, without catching up on missed ones', () => {
    const open: OpenInvoice[] = [{ invoiceId: '9', number: 'INV-000009', dueDate: '2026-12-04', outstandingMinor: 1000n }];
    const before = decideDunning({ outstanding: null, open, state: STATE, policy: POLICY, now: TUESDAY_10 });
    expect(before.remind).to.deep.equal([{ invoiceId: '9', number: 'INV-000009', dueDate: '2026-12-04', offsetDays: -3, amountMinor: 1000n }]);
    const again = decideDunning({ outstanding: null, open, state: { ...STATE, reminded: new Set(['9:-3']) }, policy: POLICY, now: TUESDAY_10 });
    expect(again.remind).to.deep.equal([]);
    // Ten days after the due date, with no reminder sent so far: only the 7-day one.
    const late = decideDunning({ outstanding: owing([['2026-11-21', 1000n]]), state: STATE, policy: POLICY, now: TUESDAY_10 });
    expect(late.remind.map((r) => r.offsetDays)).to.deep.equal([7]);
  });

  it('judges the window in the ISP zone: 08:30 UTC is 09:30 in Berlin', () => {
    expect(outsideWindow(new Date('2026-12-01T08:30:00Z'), POLICY)).to.equal(null);
    expect(outsideWindow(new Date('2026-12-01T07:30:00Z'), POLICY)).to.equal('08:30 is outside suspension hours 9:00-17:00');
  });
});

describe('dunning decision properties', () => {
  const dateArb = fc.integer({ min: 0, max: 400 }).map((n) => DateTime.fromISO('2026-01-01', { zone: 'UTC' }).plus({ days: n }).toISODate()!);
  const nowArb = fc.integer({ min: Date.parse('2026-02-01T00:00:00Z'), max: Date.parse('2027-03-01T00:00:00Z') }).map((ms) => new Date(ms));
  const invoicesArb = fc.array(fc.tuple(dateArb, fc.bigInt({ min: 1n, max: 100_000n })), { maxLength: 5 });
  const currencyArb = fc.constantFrom('EUR', 'KWD', 'JPY');
  const stateArb = fc.record({
    exempt: fc.boolean(),
    exemptReason: fc.constant('reason'),
    promiseUntil: fc.option(dateArb, { nil: null }),
    suspended: fc.boolean(),
    reminded: fc.constant(new Set<string>() as ReadonlySet<string>),
  });
  const policyArb = fc.record({
    timezone: fc.constantFrom('Europe/Berlin', 'Asia/Kolkata', 'UTC'),
    reminders: fc.constant([-3, 1, 7]),
    graceDays: fc.integer({ min: 0, max: 10 }),
    suspendAfterDays: fc.integer({ min: 11, max: 40 }),
    minimumOverdue: fc.record({ EUR: fc.constantFrom('0', '5', '250.5'), KWD: fc.constantFrom('1.250', '0'), JPY: fc.constantFrom('500', '0') }),
    window: fc.record({ weekdays: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }), fromHour: fc.integer({ min: 0, max: 11 }), toHour: fc.integer({ min: 12, max: 24 }), holidays: fc.array(dateArb, { maxLength: 30 }) }),
  });
  const world = fc.record({ invoices: invoicesArb, currency: currencyArb, state: stateArb, policy: policyArb, now: nowArb });
  const decide = (w: { invoices: Array<[string, bigint]>; currency: string; state: AccountDunningState; policy: DunningPolicy; now: Date }) => {
    // Only invoices due before today are overdue (payments' outstanding never lists later ones).
    const today = DateTime.fromJSDate(w.now, { zone: w.policy.timezone }).toISODate()!;
    return decideDunning({ outstanding: owing(w.invoices.filter(([d]) => d < today), w.currency), state: w.state, policy: w.policy, now: w.now });
  };

  it('never suspends below the minimum, outside the window, when exempt or when promised', () => {
    let suspended = 0;
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w);
        if (!d.suspend) return;
        suspended++;
        const min = w.policy.minimumOverdue[w.currency as 'EUR'];
        const exp = w.currency === 'KWD' ? 3 : w.currency === 'JPY' ? 0 : 2;
        const [int, frac = ''] = min.split('.');
        const minMinor = BigInt(int!) * 10n ** BigInt(exp) + BigInt((frac + '000').slice(0, exp) || '0');
        expect(d.overdueMinor >= minMinor && d.overdueMinor > 0n, 'at or above the minimum').to.equal(true);
        expect(outsideWindow(w.now, w.policy), 'inside the window').to.equal(null);
        expect(w.state.exempt, 'not exempt').to.equal(false);
        const today = DateTime.fromJSDate(w.now, { zone: w.policy.timezone }).toISODate()!;
        expect(w.state.promiseUntil === null || w.state.promiseUntil < today, 'no promise in force').to.equal(true);
        expect(w.state.suspended, 'not already suspended').to.equal(false);
        expect(d.daysPastDue).to.be.at.least(w.policy.suspendAfterDays);
      }),
      { numRuns: 2000 },
    );
    // The property is not vacuous: the generated worlds do suspend some accounts.
    expect(suspended).to.be.greaterThan(20);
  });

  it('always restores a dunning suspension when nothing overdue remains, and never suspends then', () => {
    fc.assert(
      fc.property(world, fc.boolean(), (w, none) => {
        const d = decideDunning({ outstanding: none ? null : owing([], w.currency), state: { ...w.state, suspended: true }, policy: w.policy, now: w.now });
        expect(d.restore).to.equal(true);
        expect(d.suspend).to.equal(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never suspends and restores at once, and restores only what dunning suspended', () => {
    fc.assert(
      fc.property(world, (w) => {
        const d = decide(w);
        expect(d.suspend && d.restore).to.equal(false);
        if (d.restore) expect(w.state.suspended).to.equal(true);
        if (d.suspend) expect(w.state.suspended).to.equal(false);
      }),
      { numRuns: 1000 },
    );
  });
});
