import { expect } from 'chai';
import { Dec, decimal } from '../../../../../plugin/common/money.js';
import { rateAccount, type AccountDocument, type AccountIn, type ChargeIn, type RunRules, type ServiceIn } from '../../../../../plugin/invoicing/run/account-rating.js';
import { localMidnight } from '../../../../../plugin/rating/index.js';
import { tariff } from './world.js';

const TZ = 'Europe/Berlin';
const RULES: RunRules = { timezone: TZ, cycle: 'calendar', rounding: 'half-up', taxMode: 'line' };
const GB = 10n ** 9n;
const at = (date: string) => localMidnight(date, TZ);

const HOME = tariff({ code: 'HOME', name: 'Home', recurringFee: '31.00', usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.10' }, topUps: [{ code: 'P10', units: '10', price: '4.99' }] } });

const service = (id: number, login: string, startDate: string, endDate: string | null, code = 'HOME'): ServiceIn => ({ id, login, startDate, endDate, tariffs: [{ code, fromMs: at(startDate) }] });

const charge = (c: Partial<ChargeIn> & Pick<ChargeIn, 'code' | 'description' | 'price'>): ChargeIn => ({ serviceId: null, taxInclusive: false, recurring: true, fromDate: null, toDate: null, atMs: null, ...c });

/**
 * Alice (open-ended, a static IP from 11 February, a top-up on 15 February) and Bob (an
 * installation on 20 February, last day 10 March), both on HOME since 1 January.
 */
function account(over: Partial<AccountIn> = {}): AccountIn {
  return {
    accountId: 7,
    currency: 'EUR',
    tax: { kind: 'rate', name: 'VAT', percent: new Dec(19) },
    services: [service(10, 'alice', '2026-01-01', null), service(11, 'bob', '2026-01-01', '2026-03-10')],
    catalogue: new Map([['HOME', { status: 'active', versions: [{ tariff: HOME, effectiveFromMs: 0 }] }]]),
    charges: [
      charge({ serviceId: 10, code: 'STATIC-IP', description: 'Static IP', price: decimal('5.00'), fromDate: '2026-02-11' }),
      charge({ serviceId: 11, code: 'INSTALL', description: 'Installation', price: decimal('49.90'), recurring: false, atMs: Date.parse('2026-02-20T10:00:00Z') }),
    ],
    topUps: [{ serviceId: 10, code: 'P10', atMs: Date.parse('2026-02-15T12:00:00Z') }],
    usage: new Map([
      [10, [{ hourMs: Date.parse('2026-02-10T10:00:00Z'), download: 120n * GB, upload: 5n * GB }, { hourMs: Date.parse('2026-03-05T10:00:00Z'), download: 30n * GB, upload: 0n }]],
      [11, [{ hourMs: Date.parse('2026-02-03T20:15:00Z'), download: 50n * GB, upload: 0n }, { hourMs: Date.parse('2026-03-10T21:45:00Z'), download: 7n * GB, upload: 0n }, { hourMs: Date.parse('2026-03-11T09:00:00Z'), download: 99n * GB, upload: 0n }]],
    ]),
    ...over,
  };
}

const lines = (d: AccountDocument | null) => (d?.document.lines ?? []).map((l) => [l.description, l.amountMinor]);

describe('the billing run rates an account on its billing date', () => {
  it('puts both services on one invoice: last month’s usage above the allowance and top-up, this month’s fees, a prorated extra charge and a one-off bought in the window', () => {
    const r = rateAccount(account(), at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal([]);
    expect(r.dueServices).to.deep.equal([10, 11]);
    expect(lines(r.invoice)).to.deep.equal([
      ['alice: Top-up P10: 10 GB', 499n],
      ['alice: Usage above 110 GB included (per unit)', 150n],
      ['alice: Home (HOME v1)', 3100n],
      // 11 February to 1 March: 18 of February's 28 days of 5.00.
      ['alice: Static IP', 321n],
      ['alice: Static IP', 500n],
      ['bob: Usage above 100 GB included (per unit)', 0n],
      ['bob: Installation', 4990n],
      ['bob: Home (HOME v1)', 3100n],
    ]);
    expect(r.invoice!.lineServices).to.deep.equal([10, 10, 10, 10, 10, 11, 11, 11]);
    // 125 GB against 100 included + 10 bought: 15 GB at 0.10. Tax once over all lines, per line at
    // 19 %: 0.95 + 0.29 (0.285 half-up) + 5.89 + 0.61 + 0.95 + 0 + 9.48 + 5.89.
    expect(r.invoice!.document.totals).to.deep.equal({ netMinor: 12660n, taxMinor: 2406n, totalMinor: 15066n });
    expect(r.credit).to.equal(null);
    expect(r.windows).to.deep.equal([
      { serviceId: 10, fromMs: at('2026-02-01'), toMs: at('2026-03-01'), download: 120n * GB, upload: 5n * GB },
      { serviceId: 11, fromMs: at('2026-02-01'), toMs: at('2026-03-01'), download: 50n * GB, upload: 0n },
    ]);
  });

  it('credits the unused days of a service that ended mid-period on a credit note, and bills its usage up to its end only', () => {
    const r = rateAccount(account(), at('2026-04-01'), RULES);
    expect(lines(r.invoice)).to.deep.equal([
      ['alice: Usage above 100 GB included (per unit)', 0n],
      ['alice: Home (HOME v1)', 3100n],
      ['alice: Static IP', 500n],
      ['bob: Usage above 32.258065 GB included (per unit)', 0n],
    ]);
    // Bob's last day is 10 March: 21 of March's 31 days of 31.00 come back.
    expect(lines(r.credit)).to.deep.equal([['bob: Home (HOME v1): unused days', 2100n]]);
    expect(r.credit!.document.totals).to.deep.equal({ netMinor: 2100n, taxMinor: 399n, totalMinor: 2499n });
    expect(r.credit!.document.type).to.equal('credit_note');
    // The 99 GB of 11 March came after Bob's end: no window bills them.
    expect(r.windows.filter((w) => w.serviceId === 11)).to.deep.equal([{ serviceId: 11, fromMs: at('2026-03-01'), toMs: at('2026-03-11'), download: 7n * GB, upload: 0n }]);
  });

  it('still credits the unused days of a service that ended mid-period when a new tariff version takes effect at the next period', () => {
    const v2 = { ...HOME, version: 2, recurringFee: decimal('35.00') };
    const a = account({ catalogue: new Map([['HOME', { status: 'active', versions: [{ tariff: HOME, effectiveFromMs: 0 }, { tariff: v2, effectiveFromMs: at('2026-04-01') }] }]]) });
    const r = rateAccount(a, at('2026-04-01'), RULES);
    expect(lines(r.credit)).to.deep.equal([['bob: Home (HOME v1): unused days', 2100n]]);
    // Alice, still running, pays the new price from April.
    expect(lines(r.invoice).filter(([d]) => String(d).includes('(HOME v'))).to.deep.equal([['alice: Home (HOME v2)', 3500n]]);
  });

  it('credits the unused days of a service whose tariff history lists a change after its end, and bills nothing of that tariff', () => {
    const a = account({ services: [service(10, 'alice', '2026-01-01', null), { ...service(11, 'bob', '2026-01-01', '2026-03-10'), tariffs: [{ code: 'HOME', fromMs: at('2026-01-01') }, { code: 'HOME', fromMs: at('2026-03-20') }] }] });
    const r = rateAccount(a, at('2026-04-01'), RULES);
    expect(lines(r.credit)).to.deep.equal([['bob: Home (HOME v1): unused days', 2100n]]);
    expect(lines(r.invoice).filter(([d]) => String(d).startsWith('bob'))).to.deep.equal([['bob: Usage above 32.258065 GB included (per unit)', 0n]]);
  });

  it('prorates an extra charge that starts and stops inside a period, and bills a one-off once, on the first invoice at or after it', () => {
    const a = account({ charges: [charge({ serviceId: 10, code: 'TV', description: 'TV', price: decimal('9.00'), fromDate: '2026-03-05', toDate: '2026-03-20' }), charge({ serviceId: 10, code: 'ROUTER', description: 'Router', price: decimal('79.00'), recurring: false, atMs: Date.parse('2026-03-01T00:00:00+01:00') })] });
    const march = rateAccount(a, at('2026-03-01'), RULES);
    expect(lines(march.invoice).filter(([d]) => String(d).startsWith('alice: R') || String(d).startsWith('alice: TV'))).to.deep.equal([['alice: Router', 7900n]]);
    const april = rateAccount(a, at('2026-04-01'), RULES);
    // 5 to 20 March, days 4 to 19 of 31, by cumulative rounding: round(9 x 19/31) - round(9 x 4/31) =
    // 5.52 - 1.16; billed on the first date after it began, when its end is known, so no credit.
    expect(lines(april.invoice).filter(([d]) => String(d).includes('TV') || String(d).includes('Router'))).to.deep.equal([['alice: TV', 436n]]);
    expect(april.credit?.document.lines.filter((l) => l.description.includes('TV')) ?? []).to.deep.equal([]);
  });

  it('keeps billing an account-level charge after the account’s first service ends', () => {
    const a = account({ services: [service(10, 'bob', '2026-01-01', '2026-03-10'), service(11, 'alice', '2026-01-01', null)], charges: [charge({ code: 'SUPPORT', description: 'Support plan', price: decimal('2.00'), fromDate: '2026-01-01' })], topUps: [], usage: new Map() });
    const support = (T: string) => {
      const r = rateAccount(a, at(T), RULES);
      return [...lines(r.invoice), ...lines(r.credit).map(([d, m]) => [d, -(m as bigint)])].filter(([d]) => String(d).includes('Support')).reduce((s, [, m]) => s + (m as bigint), 0n);
    };
    expect(['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01'].map(support)).to.deep.equal([200n, 200n, 200n, 200n, 200n, 200n]);
    // It is the account's, not a service's: no login before it, no service on its line.
    const may = rateAccount(a, at('2026-05-01'), RULES).invoice!;
    expect(may.document.lines.map((l) => l.description)).to.deep.equal(['alice: Usage above 100 GB included (per unit)', 'alice: Home (HOME v1)', 'Support plan']);
    expect(may.lineServices).to.deep.equal([11, 11, null]);
  });

  it('stops an account-level charge when the account’s last service ends, crediting the unused days', () => {
    const a = account({ services: [service(10, 'bob', '2026-01-01', '2026-03-10'), service(11, 'alice', '2026-01-01', '2026-04-15')], charges: [charge({ code: 'SUPPORT', description: 'Support plan', price: decimal('3.00'), fromDate: '2026-01-01' })], topUps: [], usage: new Map() });
    const may = rateAccount(a, at('2026-05-01'), RULES);
    // Alice's last day is 15 April: 15 of April's 30 days used, 1.50 of April's 3.00 back.
    expect(lines(may.credit)).to.deep.equal([['alice: Home (HOME v1): unused days', 1550n], ['Support plan: unused days', 150n]]);
    expect(lines(rateAccount(a, at('2026-06-01'), RULES).invoice)).to.deep.equal([]);
  });

  it('stops the whole account, issuing nothing, when a tariff is still a draft', () => {
    const a = account({ catalogue: new Map([['HOME', { status: 'draft', versions: [{ tariff: HOME, effectiveFromMs: 0 }] }]]) });
    const r = rateAccount(a, at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal(['service alice: tariff HOME is a draft (no price yet): define it on the Tariffs page', 'service bob: tariff HOME is a draft (no price yet): define it on the Tariffs page']);
    expect([r.invoice, r.credit, r.windows]).to.deep.equal([null, null, []]);
    expect(r.dueServices).to.deep.equal([10, 11]);
  });

  it('stops the whole account when a tariff is in another currency than the account', () => {
    const usd = tariff({ code: 'US', currency: 'USD', recurringFee: '30' });
    const a = account({ services: [service(10, 'alice', '2026-01-01', null), service(11, 'bob', '2026-01-01', null, 'US')], catalogue: new Map([...account().catalogue, ['US', { status: 'active', versions: [{ tariff: usd, effectiveFromMs: 0 }] }]]) });
    const r = rateAccount(a, at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal(['service bob: tariff US is in USD, the account in EUR']);
    expect([r.invoice, r.credit, r.windows]).to.deep.equal([null, null, []]);
  });

  it('stops the whole account when a service has no tariff, or one that is not in the catalogue', () => {
    const a = account({ services: [{ ...service(10, 'alice', '2026-01-01', null), tariffs: [] }, service(11, 'bob', '2026-01-01', null, 'GONE')] });
    const r = rateAccount(a, at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal(['service alice has no tariff', 'service bob: tariff GONE is not in the catalogue']);
    expect([r.invoice, r.credit, r.windows]).to.deep.equal([null, null, []]);
  });

  it('stops the account when a top-up is not one its tariff offers', () => {
    const r = rateAccount(account({ topUps: [{ serviceId: 10, code: 'P99', atMs: Date.parse('2026-02-15T12:00:00Z') }] }), at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal(['service alice: top-up P99 is not offered by its tariff']);
    expect(r.invoice).to.equal(null);
  });

  it('rates nothing for a service that starts after the billing date, and lists it as not due', () => {
    const r = rateAccount(account({ services: [service(12, 'carol', '2026-03-15', null)] }), at('2026-03-01'), RULES);
    expect([r.dueServices, r.invoice, r.credit, r.errors]).to.deep.equal([[], null, null, []]);
  });
});
