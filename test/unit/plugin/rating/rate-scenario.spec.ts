import { expect } from 'chai';
import { rateScenario, type RatedDocument } from '../../../../plugin/rating/rate-scenario.js';
import { ratingJson } from '../../../../plugin/rating/rating-view.js';
import { parseScenarioText } from '../../../../plugin/rating/scenario.js';
import { scenarioText } from './scenario-text.js';

const rate = (text: string) => rateScenario(parseScenarioText(text, 'scenario.yaml'));
const kinds = (d: RatedDocument) => d.lines.map((l) => [l.kind, l.amountMinor]);
const iso = (ms: number) => new Date(ms).toISOString();

describe('rating a scenario', () => {
  it('bills the fee of the new period in advance and the usage of the period that ended in arrears', () => {
    const r = rate(
      scenarioText({
        service: '  start: 2026-01-01\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }]',
        usage: '  - { hour: 2026-01-15T10:00:00Z, download: 120000000000, upload: 5000000000 }',
        invoices: '{ from: 2026-01-01, to: 2026-03-01 }',
      }),
    );
    expect(r.documents.map((d) => [d.type, iso(d.issuedAtMs)])).to.deep.equal([
      ['invoice', '2025-12-31T23:00:00.000Z'],
      ['invoice', '2026-01-31T23:00:00.000Z'],
    ]);
    expect(kinds(r.documents[0]!)).to.deep.equal([['recurring_fee', 3100n]]);
    // February's invoice: January's 125 GB, 25 above the 100 included at 0.10, then February's fee.
    expect(kinds(r.documents[1]!)).to.deep.equal([
      ['usage', 250n],
      ['recurring_fee', 3100n],
    ]);
    expect(r.documents[1]!.totals).to.deep.equal({ netMinor: 3350n, taxMinor: 637n, totalMinor: 3987n });
  });

  it('charges a service that starts on the 10th for the rest of the month, its start day included', () => {
    const r = rate(scenarioText({ service: '  start: 2026-01-10T15:30:00+01:00\n  tariffs: [{ tariff: BASIC, from: 2026-01-10T15:30:00+01:00 }]', invoices: '{ from: 2026-01-01, to: 2026-02-01 }' }));
    const fee = r.documents[0]!.lines[0]!;
    expect([fee.quantity.toFixed(), fee.unit, fee.amountMinor]).to.deep.equal(['22', 'days of 31', 2200n]);
  });

  it('on a mid-month upgrade, credits the old tariff for its unused days and charges the new one for the rest', () => {
    const r = rate(
      scenarioText({
        service: '  start: 2026-01-01\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }, { tariff: PLUS, from: 2026-01-21T09:00:00+01:00 }]',
        usage: '  - { hour: 2026-01-20T10:00:00Z, download: 1000000000, upload: 0 }\n  - { hour: 2026-01-25T10:00:00Z, download: 3000000000, upload: 0 }',
        invoices: '{ from: 2026-01-21, to: 2026-02-02 }',
      }),
    );
    const [change, credit, february] = r.documents;
    expect([change!.type, credit!.type, february!.type]).to.deep.equal(['invoice', 'credit_note', 'invoice']);
    // Basic ran 20 days of 31: 20.00 used of the 31.00 paid; 11 days of Plus: 62 x 11 / 31 = 22.00.
    expect(kinds(credit!)).to.deep.equal([['recurring_fee', 1100n]]);
    expect(credit!.lines[0]!.description).to.equal('Basic (BASIC v1): unused days');
    expect(kinds(change!)).to.deep.equal([
      ['usage', 0n],
      ['recurring_fee', 2200n],
    ]);
    // The usage after the change is rated by Plus on the next invoice: 3 GB at 0.01.
    expect(kinds(february!)).to.deep.equal([
      ['usage', 3n],
      ['recurring_fee', 6200n],
    ]);
  });

  it('credits the unused days of the prepaid month when the service ends, the last day counted as used', () => {
    const r = rate(scenarioText({ service: '  start: 2026-01-01\n  end: 2026-03-10T12:00:00+01:00\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }]', invoices: '{ from: 2026-03-01, to: 2026-04-01 }' }));
    const [march, last, credit] = r.documents;
    expect(kinds(march!)).to.deep.equal([['usage', 0n], ['recurring_fee', 3100n]]);
    expect(iso(last!.issuedAtMs)).to.equal('2026-03-10T11:00:00.000Z');
    expect(credit!.type).to.equal('credit_note');
    expect([credit!.lines[0]!.quantity.toFixed(), credit!.lines[0]!.amountMinor]).to.deep.equal(['21', 2100n]);
  });

  it('puts a one-off item on the first invoice issued at or after its date, and recurring items beside the fee', () => {
    const r = rate(
      scenarioText({
        service: '  start: 2026-01-01\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }]',
        items: '  - { code: INSTALL, description: Installation, price: 79, recurring: false, at: 2026-01-01 }\n  - { code: ROUTER, description: Router sold, price: 120, recurring: false, at: 2026-01-12T10:00:00Z }\n  - { code: IP, description: Static IP, price: 5, recurring: true, from: 2026-01-16 }',
        invoices: '{ from: 2026-01-01, to: 2026-03-01 }',
      }),
    );
    expect(kinds(r.documents[0]!)).to.deep.equal([['one_off', 7900n], ['recurring_fee', 3100n]]);
    // February: the router, the 16 days of January of the static IP (5 x 16 / 31 = 2.58), and February.
    expect(kinds(r.documents[1]!)).to.deep.equal([['usage', 0n], ['one_off', 12000n], ['recurring_fee', 3100n], ['recurring_item', 258n], ['recurring_item', 500n]]);
  });

  it('adds a bought top-up to the allowance of its period and charges it as its own line', () => {
    const tariffs = '  - { code: CAP, name: Capped, currency: EUR, recurringFee: 20, usage: { direction: download, unit: GB, includedUnits: 50, charge: { model: per_unit, unitPrice: 1 }, topUps: [{ code: X10, units: 10, price: 4 }] } }';
    const r = rate(
      scenarioText({
        tariffs,
        service: '  start: 2026-01-01\n  tariffs: [{ tariff: CAP, from: 2026-01-01 }]',
        topUps: '  - { code: X10, at: 2026-01-20T12:00:00Z }',
        usage: '  - { hour: 2026-01-05T10:00:00Z, download: 65000000000, upload: 0 }',
        invoices: '{ from: 2026-02-01, to: 2026-02-02 }',
      }),
    );
    expect(kinds(r.documents[0]!)).to.deep.equal([['top_up', 400n], ['usage', 500n], ['recurring_fee', 2000n]]);
    expect(r.documents[0]!.usage[0]!.topUpUnits.toFixed()).to.equal('10');
  });

  it('reports the hour a fair-use cap was crossed and the throttle rate, without charging for it', () => {
    const tariffs = '  - { code: FAIR, name: Fair use, currency: EUR, recurringFee: 25, usage: { direction: both, unit: GB, fairUse: { capUnits: 100, throttleRate: 2M/2M } } }';
    const r = rate(
      scenarioText({ tariffs, service: '  start: 2026-01-01\n  tariffs: [{ tariff: FAIR, from: 2026-01-01 }]', usage: '  - { every: hour, from: 2026-01-01T00:00:00Z, to: 2026-01-03T00:00:00Z, download: 2000000000, upload: 500000000 }', invoices: '{ from: 2026-02-01, to: 2026-02-02 }' }),
    );
    const fair = r.documents[0]!.usage[0]!.fairUse!;
    expect([iso(fair.crossedAtMs!), fair.throttleRate]).to.deep.equal(['2026-01-02T16:00:00.000Z', '2M/2M']); // 41st hour: 102.5 GB
    expect(kinds(r.documents[0]!)).to.deep.equal([['recurring_fee', 2500n]]);
  });

  it('rates in yen with no decimals at all', () => {
    const r = rate(
      scenarioText({
        head: 'currency: JPY\ntimezone: Asia/Tokyo\naccount:\n  tax: { name: JCT, percent: 10 }',
        tariffs: '  - { code: HIKARI, name: Hikari, currency: JPY, recurringFee: 5000, taxInclusive: true }',
        service: '  start: 2026-02-11\n  tariffs: [{ tariff: HIKARI, from: 2026-02-11 }]',
        invoices: '{ from: 2026-02-01, to: 2026-03-01 }',
      }),
    );
    // 5000 x 18 / 28 = 3214.28... -> 3214 yen, tax-inclusive: net round(3214 / 1.1) = 2922, tax 292.
    expect(r.documents[0]!.totals).to.deep.equal({ netMinor: 2922n, taxMinor: 292n, totalMinor: 3214n });
    expect(JSON.stringify(ratingJson(r, 'Asia/Tokyo'))).to.contain('"amount":"3214"');
  });

  it('counts usage outside the service and usage not invoiced yet instead of dropping it', () => {
    const r = rate(
      scenarioText({
        service: '  start: 2026-01-10\n  end: 2026-02-10\n  tariffs: [{ tariff: BASIC, from: 2026-01-10 }]',
        usage: '  - { hour: 2026-01-05T00:00:00Z, download: 7, upload: 0 }\n  - { hour: 2026-02-20T00:00:00Z, download: 0, upload: 9 }',
        invoices: '{ from: 2026-01-01, to: 2026-03-01 }',
      }),
    );
    expect(r.unbilled).to.deep.equal({ beforeStart: 7n, afterEnd: 9n, onEarlierInvoices: 0n, awaitingNextInvoice: 0n });
  });

  it('rounds each line by the rule the scenario names: 0.125 is 0.13 half-up and 0.12 half-even', () => {
    const text = (rule: string) =>
      scenarioText({ service: '  start: 2026-01-01\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }]', invoices: '{ from: 2026-01-01, to: 2026-01-02 }' })
        .replace('recurringFee: 31.00', 'recurringFee: 0.125')
        .replace('timezone: Europe/Berlin', `timezone: Europe/Berlin\nrounding: ${rule}`);
    expect(rate(text('half-up')).documents[0]!.lines[0]!.amountMinor).to.equal(13n);
    expect(rate(text('half-even')).documents[0]!.lines[0]!.amountMinor).to.equal(12n);
  });

  it('writes no amount, quantity or byte count as a JSON number, so no reader can turn it into a float', () => {
    const r = rate(
      scenarioText({
        service: '  start: 2026-01-01\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }]',
        usage: '  - { hour: 2026-01-15T10:00:00Z, download: 18446744073709551615, upload: 5 }',
        invoices: '{ from: 2026-01-01, to: 2026-03-01 }',
      }),
    );
    const numbers: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'number') numbers.push(path.replace(/\.\d+/g, '.N'));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    const json = ratingJson(r, 'Europe/Berlin');
    walk(json, '');
    expect([...new Set(numbers)].sort()).to.deep.equal(['.documents.N.lines.N.tariff.version', '.documents.N.period.days', '.documents.N.usage.N.tariff.version', '.exponent']);
    expect(JSON.stringify(json)).to.contain('"download":"18446744073709551615"');
  });
});
