import { expect } from 'chai';
import { Dec, decimal } from '../../../../../plugin/common/money.js';
import { rateAccount, type AccountIn, type DiscountIn, type RunRules, type ServiceIn } from '../../../../../plugin/invoicing/run/account-rating.js';
import { localMidnight } from '../../../../../plugin/rating/index.js';
import { tariff } from './world.js';

const TZ = 'Europe/Berlin';
const RULES: RunRules = { timezone: TZ, cycle: 'calendar', rounding: 'half-up', taxMode: 'line' };
const at = (date: string) => localMidnight(date, TZ);
const HOME = tariff({ code: 'HOME', name: 'Home', recurringFee: '31.00', usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.10' } } });
const NIGHT = tariff({ code: 'NIGHT', name: 'Night', recurringFee: '10.00', usage: { direction: 'both', unit: 'GB', includedUnits: '0', timeBands: [{ name: 'late', from: '22:10', to: '23:00', percent: '0' }] } });
const service = (id: number, login: string, code = 'HOME'): ServiceIn => ({ id, login, startDate: '2026-01-01', endDate: null, tariffs: [{ code, fromMs: at('2026-01-01') }] });
const discount = (d: Partial<DiscountIn>): DiscountIn => ({ serviceId: 10, code: 'HALF', description: 'Half price', appliesTo: 'recurring_fee', kind: 'percent', value: decimal('50'), fromDate: null, untilDate: null, periods: null, ...d });

function account(over: Partial<AccountIn> = {}): AccountIn {
  return {
    accountId: 7,
    currency: 'EUR',
    tax: { kind: 'rate', name: 'VAT', percent: new Dec(19) },
    services: [service(10, 'alice'), service(11, 'bob')],
    catalogue: new Map([
      ['HOME', { status: 'active', versions: [{ tariff: HOME, effectiveFromMs: 0 }] }],
      ['NIGHT', { status: 'active', versions: [{ tariff: NIGHT, effectiveFromMs: 0 }] }],
    ]),
    charges: [{ serviceId: null, code: 'TV', description: 'TV package', price: decimal('10.00'), taxInclusive: false, recurring: true, fromDate: null, toDate: null, atMs: null }],
    topUps: [],
    usage: new Map(),
    ...over,
  };
}

const lines = (r: ReturnType<typeof rateAccount>) => r.invoice!.document.lines.filter((l) => l.kind !== 'usage').map((l) => `${l.kind} ${l.amountMinor} ${l.description}`);

describe('the billing run rates an account with discounts', () => {
  it('puts a service discount right after the fee it reduces, prefixed with the login, and taxes the pair on its net', () => {
    const r = rateAccount(account({ discounts: [discount({})] }), at('2026-03-01'), RULES);
    expect(lines(r)).to.deep.equal([
      'recurring_fee 3100 alice: Home (HOME v1)',
      'discount -1550 alice: Discount HALF, Half price (50%) on Home (HOME v1)',
      'recurring_fee 3100 bob: Home (HOME v1)',
      'recurring_item 1000 TV package',
    ]);
    // 15.50 + 31.00 + 10.00 net; VAT 2.95 + 5.89 + 1.90.
    expect(r.invoice!.document.totals).to.deep.equal({ netMinor: 5650n, taxMinor: 1074n, totalMinor: 6724n });
  });

  it('applies an account discount on all charges to every service and to the account\'s own charges', () => {
    const r = rateAccount(account({ discounts: [discount({ serviceId: null, code: 'STAFF', description: 'STAFF', appliesTo: 'all', value: decimal('10') })] }), at('2026-03-01'), RULES);
    expect(lines(r)).to.deep.equal([
      'recurring_fee 3100 alice: Home (HOME v1)',
      'discount -310 alice: Discount STAFF (10%) on Home (HOME v1)',
      'recurring_fee 3100 bob: Home (HOME v1)',
      'discount -310 bob: Discount STAFF (10%) on Home (HOME v1)',
      'recurring_item 1000 TV package',
      'discount -100 Discount STAFF (10%) on TV package',
    ]);
  });

  it('refuses an account-level fixed discount: the account gets nothing and the reason is listed', () => {
    const r = rateAccount(account({ discounts: [discount({ serviceId: null, kind: 'fixed', value: decimal('5') })] }), at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal(['discount HALF of the account is a fixed amount: give it a service, or make it a percentage']);
    expect([r.invoice, r.credit]).to.deep.equal([null, null]);
  });

  it('refuses what octet rate would refuse (two discounts on the same charges at once), issuing nothing for the account', () => {
    const r = rateAccount(account({ discounts: [discount({}), discount({ code: 'MORE', appliesTo: 'all', value: decimal('10') })] }), at('2026-03-01'), RULES);
    expect(r.errors).to.deep.equal(['service alice: discounts.1: MORE reduces the same charges as HALF on the same days: end one before the other begins']);
    expect([r.invoice, r.credit, r.windows]).to.deep.equal([null, null, []]);
  });

  it('refuses a tariff whose time bands octet rate would refuse, naming the service and the field', () => {
    const r = rateAccount(account({ services: [service(10, 'alice', 'NIGHT')] }), at('2026-03-01'), RULES);
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]).to.match(/^service alice: tariffs\.0\.usage\.timeBands/);
    expect(r.invoice).to.equal(null);
  });
});
