import { expect } from 'chai';
import { Dec, decimal } from '../../../../../plugin/common/money.js';
import { nullLogger } from '../../../../../plugin/common/logger.js';
import type { AccountIn, ChargeIn, RunRules, ServiceIn } from '../../../../../plugin/invoicing/run/account-rating.js';
import { fromWire, RatingPool, rateChunk, toWire, type ChunkToRate } from '../../../../../plugin/invoicing/run/rating-pool.js';
import { encodeValue } from '../../../../../plugin/invoicing/snapshot.js';
import { localMidnight } from '../../../../../plugin/rating/index.js';
import { tariff } from './world.js';

const TZ = 'Europe/Berlin';
const RULES: RunRules = { timezone: TZ, cycle: 'calendar', rounding: 'half-up', taxMode: 'line' };
const GB = 10n ** 9n;
const at = (date: string) => localMidnight(date, TZ);

const HOME = tariff({ code: 'HOME', name: 'Home', recurringFee: '31.00', usage: { direction: 'both', unit: 'GB', includedUnits: '100', charge: { model: 'per_unit', unitPrice: '0.10' }, topUps: [{ code: 'P10', units: '10', price: '4.99' }] } });
const NIGHTS = tariff({ code: 'NIGHTS', name: 'Free nights', recurringFee: '35.00', usage: { direction: 'both', unit: 'GB', includedUnits: '10', charge: { model: 'per_unit', unitPrice: '0.30' }, timeBands: [{ name: 'night', from: '00:00', to: '07:00', percent: '0' }] } });
const catalogue: AccountIn['catalogue'] = new Map([
  ['HOME', { status: 'active', versions: [{ tariff: HOME, effectiveFromMs: 0 }] }],
  ['NIGHTS', { status: 'active', versions: [{ tariff: NIGHTS, effectiveFromMs: 0 }] }],
]);
const service = (id: number, login: string, startDate: string, endDate: string | null, code: string): ServiceIn => ({ id, login, startDate, endDate, tariffs: [{ code, fromMs: at(startDate) }] });
const charge = (c: Partial<ChargeIn> & Pick<ChargeIn, 'code' | 'description' | 'price'>): ChargeIn => ({ serviceId: null, taxInclusive: false, recurring: true, fromDate: null, toDate: null, atMs: null, ...c });
const hourly = (fromIso: string, hours: number, bytes: bigint) => Array.from({ length: hours }, (_, h) => ({ hourMs: Date.parse(fromIso) + h * 3_600_000, download: bytes, upload: bytes / 7n }));

/** Four accounts for 1 March 2026: two services with charges and a top-up, a time band, an exempt one, and one whose tariff is missing. */
function chunk(): ChunkToRate {
  return {
    catalogue,
    T: at('2026-03-01'),
    rules: RULES,
    usage: new Map([
      [10, hourly('2026-01-31T23:00:00Z', 672, 200_000_000n)],
      [11, [{ hourMs: Date.parse('2026-02-03T20:15:00Z'), download: 50n * GB, upload: 0n }]],
      [20, hourly('2026-01-31T23:00:00Z', 672, 333_333_333n)],
      [30, hourly('2026-02-10T00:00:00Z', 24, GB)],
    ]),
    accounts: [
      {
        accountId: 7, currency: 'EUR', tax: { kind: 'rate', name: 'VAT', percent: new Dec(19) },
        services: [service(10, 'alice', '2026-01-01', null, 'HOME'), service(11, 'bob', '2026-01-01', '2026-03-10', 'HOME')],
        charges: [charge({ serviceId: 10, code: 'STATIC-IP', description: 'Static IP', price: decimal('5.00'), fromDate: '2026-02-11' }), charge({ serviceId: 11, code: 'INSTALL', description: 'Installation', price: decimal('49.90'), recurring: false, atMs: Date.parse('2026-02-20T10:00:00Z') })],
        topUps: [{ serviceId: 10, code: 'P10', atMs: Date.parse('2026-02-15T12:00:00Z') }],
      },
      { accountId: 8, currency: 'EUR', tax: { kind: 'rate', name: 'VAT', percent: new Dec('7.7') }, services: [service(20, 'carol', '2026-02-14', null, 'NIGHTS')], charges: [], topUps: [] },
      { accountId: 9, currency: 'EUR', tax: { kind: 'exempt', reason: 'Reverse charge' }, services: [service(30, 'dave', '2026-01-01', null, 'NIGHTS')], charges: [charge({ code: 'CREDIT', description: 'Goodwill', price: decimal('-3.333') })], topUps: [] },
      { accountId: 10, currency: 'EUR', tax: { kind: 'rate', name: 'VAT', percent: new Dec(19) }, services: [service(40, 'erin', '2026-01-01', null, 'GONE')], charges: [], topUps: [] },
    ],
  };
}

/** The outcomes as the snapshot codec writes them: decimals and bigints by their exact text, classes included. */
const text = (v: unknown) => JSON.stringify(encodeValue(v));

describe('rating a billing run chunk on a worker thread', () => {
  it('decimals, bigints, maps and negative zero cross the wire and come back as the same values of the same types', () => {
    const value = { a: new Dec('-0'), b: [new Dec('1.2345678901234567890123456789'), 10n ** 30n], m: new Map([[1, { d: new Dec('7e-30') }]]), s: 'x', n: null };
    const back = fromWire(structuredClone(toWire(value))) as typeof value;
    expect(Dec.isDecimal(back.a) && back.a.isNeg() && back.a.isZero()).to.equal(true);
    expect(back.b[0]).to.be.instanceOf(Dec);
    expect(text(back)).to.equal(text(value));
    expect((back.m.get(1)!.d as Dec).equals(new Dec('7e-30'))).to.equal(true);
  });

  it('gives every account the documents, windows and errors the inline rating gives, to the byte', async () => {
    const inline = rateChunk(chunk());
    expect(inline.map((o) => o.ok && o.result.errors.length === 0)).to.deep.equal([true, true, true, false]);
    const warnings: string[] = [];
    const pool = new RatingPool({ ...nullLogger, warn: (m: string, meta?: Record<string, unknown>) => void warnings.push(`${m}: ${String(meta?.reason)}`) });
    try {
      pool.warm();
      expect(pool.usable).to.equal(true);
      const [first, second] = await Promise.all([pool.rate(chunk()), pool.rate(chunk())]);
      expect([pool.usable, warnings]).to.deep.equal([true, []]);
      expect(text(first)).to.equal(text(inline));
      expect(text(second)).to.equal(text(inline));
      expect((first![0] as { ok: true; result: { invoice: { document: { totals: { totalMinor: unknown } } } } }).result.invoice.document.totals.totalMinor).to.be.a('bigint');
    } finally {
      await pool.close();
    }
  });

  it('rates inline when the worker is gone: a chunk still pending and every later one get their outcomes', async () => {
    const pool = new RatingPool(nullLogger);
    pool.warm();
    const pending = pool.rate(chunk());
    await pool.close();
    expect(pool.usable).to.equal(false);
    expect(text(await pending)).to.equal(text(rateChunk(chunk())));
    expect(text(await pool.rate(chunk()))).to.equal(text(rateChunk(chunk())));
  });
});
