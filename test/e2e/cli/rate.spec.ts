import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOctet } from '../../support/cli.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'config', 'rate-scenarios');

interface Money {
  minor: string;
  amount: string;
}
interface Doc {
  type: string;
  issuedAt: string;
  lines: Array<{ kind: string; amount: string; minor: string; tax: Money | null; details?: Array<{ tier?: number; units: string; amount: string }> }>;
  totals: { net: Money; tax: Money; total: Money };
}

/** A one-month scenario whose only price is a usage charge model, to reproduce published examples. */
function usageOnly(charge: string, downloadBytes: string): string {
  return `currency: USD
timezone: UTC
account: { tax: { exempt: "worked example, no tax" } }
tariffs:
  - { code: EX, name: Example, currency: USD, recurringFee: 0, usage: { direction: download, unit: GB, includedUnits: 0, charge: ${charge} } }
service: { start: 2026-01-01, tariffs: [{ tariff: EX, from: 2026-01-01 }] }
usage: [{ hour: 2026-01-15T12:00:00Z, download: ${downloadBytes}, upload: 0 }]
invoices: { from: 2026-02-01, to: 2026-02-02 }
`;
}

describe('octet rate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-rate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function rateText(name: string, text: string): Promise<{ documents: Doc[] }> {
    const file = join(dir, name);
    writeFileSync(file, text);
    const res = await runOctet(['rate', file]);
    expect(res.stderr).to.equal('');
    expect(res.code).to.equal(0);
    return JSON.parse(res.stdout) as { documents: Doc[] };
  }

  it('prints the invoices and credit notes of the shipped upgrade example as JSON, totals equal to their lines', async () => {
    const res = await runOctet(['rate', join(EXAMPLES, 'upgrade-mid-month.yaml')]);
    expect(res.code).to.equal(0);
    const out = JSON.parse(res.stdout) as { currency: string; documents: Doc[] };
    expect(out.currency).to.equal('EUR');
    expect(out.documents.map((d) => d.type)).to.deep.equal(['invoice', 'invoice', 'invoice', 'credit_note', 'invoice', 'invoice', 'credit_note']);
    for (const d of out.documents) {
      const lineTotal = d.lines.reduce((a, l) => a + BigInt(l.minor) + BigInt(l.tax!.minor), 0n);
      expect(lineTotal.toString()).to.equal(d.totals.total.minor);
    }
  });

  it('rates every shipped example without an error', async () => {
    for (const name of ['upgrade-mid-month.yaml', 'anniversary-kolkata.yaml', 'yen-package-ending.yaml']) {
      const res = await runOctet(['rate', join(EXAMPLES, name)]);
      expect(res.code, `${name}: ${res.stderr}`).to.equal(0);
      expect((JSON.parse(res.stdout) as { documents: Doc[] }).documents.length).to.be.greaterThan(1);
    }
  });

  it("reproduces Lago's graduated example: 12 units cost 115 (getlago/lago-api spec/services/charge_models/graduated_service_spec.rb)", async () => {
    const tiers = '{ model: graduated, tiers: [{ from: 0, to: 10, unitPrice: 10, flatFee: 2 }, { from: 11, to: 20, unitPrice: 5, flatFee: 3 }, { from: 21, unitPrice: 5, flatFee: 3 }] }';
    const out = await rateText('graduated.yaml', usageOnly(tiers, '12000000000'));
    const usage = out.documents[0]!.lines.find((l) => l.kind === 'usage')!;
    expect(usage.amount).to.equal('115.00');
    expect(usage.details!.map((x) => [x.tier, x.units, x.amount])).to.deep.equal([
      [1, '10', '102'],
      [2, '2', '13'],
    ]);
    expect(out.documents[0]!.totals.total.amount).to.equal('115.00');
  });

  it("reproduces Lago's volume example: 300 units cost 200 (getlago/lago-api spec/services/charge_models/volume_service_spec.rb)", async () => {
    const tiers = '{ model: volume, tiers: [{ from: 0, to: 100, unitPrice: 2, flatFee: 10 }, { from: 101, to: 200, unitPrice: 1 }, { from: 201, unitPrice: 0.5, flatFee: 50 }] }';
    const out = await rateText('volume.yaml', usageOnly(tiers, '300000000000'));
    expect(out.documents[0]!.lines.find((l) => l.kind === 'usage')!.amount).to.equal('200.00');
  });

  it("reproduces Lago's package example: 121 units in packages of 10 at 100, 10 free, cost 1200 (getlago/lago-api spec/services/charge_models/package_service_spec.rb)", async () => {
    const out = await rateText('package.yaml', usageOnly('{ model: package, packageSize: 10, packagePrice: 100, freeUnits: 10 }', '121000000000'));
    expect(out.documents[0]!.lines.find((l) => l.kind === 'usage')!.amount).to.equal('1200.00');
  });

  it("reproduces Lago's proration by actual days: a 1.00 plan started on 15 March costs 0.55 (getlago/lago-api spec/services/fees/subscription_service_spec.rb)", async () => {
    const text = `currency: EUR
timezone: UTC
account: { tax: { exempt: "worked example, no tax" } }
tariffs: [{ code: P, name: Plan, currency: EUR, recurringFee: 1.00 }]
service: { start: 2022-03-15, tariffs: [{ tariff: P, from: 2022-03-15 }] }
invoices: { from: 2022-03-01, to: 2022-04-01 }
`;
    const out = await rateText('proration.yaml', text);
    // 100 cents x 17 / 31 days = 54.8387... -> 55
    const fee = out.documents[0]!.lines[0]! as Doc['lines'][number] & { quantity: string; unit: string; preciseAmount: string };
    expect([fee.kind, fee.quantity, fee.unit, fee.amount]).to.deep.equal(['recurring_fee', '17', 'days of 31', '0.55']);
    expect(fee.preciseAmount.startsWith('0.548387096774')).to.equal(true);
  });

  it('exits 2 with one line naming the field when a price is not a decimal number', async () => {
    const file = join(dir, 'bad-price.yaml');
    writeFileSync(file, usageOnly('{ model: per_unit, unitPrice: "ten" }', '1'));
    const res = await runOctet(['rate', file]);
    expect(res.code).to.equal(2);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.equal(`octet: ${file}: tariffs.0.usage.charge.unitPrice: must be a non-negative decimal number such as 12.50\n`);
  });

  it('exits 2 naming the band when a time band does not fall on an hourly bucket in Asia/Kolkata', async () => {
    const file = join(dir, 'bad-band.yaml');
    const text = usageOnly('{ model: per_unit, unitPrice: 1 }', '1')
      .replace('timezone: UTC', 'timezone: Asia/Kolkata')
      .replace('charge: {', 'timeBands: [{ name: night, from: "00:00", to: "06:30", percent: 0 }], charge: {');
    writeFileSync(file, text);
    const res = await runOctet(['rate', file]);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.equal(`octet: ${file}: tariffs.0.usage.timeBands.0.from: 00:00 in Asia/Kolkata (UTC+05:30) is not on a 60-minute usage bucket boundary\n`);
  });

  it('exits 2 for a scenario file that does not exist', async () => {
    const res = await runOctet(['rate', join(dir, 'missing.yaml')]);
    expect(res.code).to.equal(2);
    expect(res.stderr.trim()).to.equal(`octet: ${join(dir, 'missing.yaml')}: file not found`);
  });
});
