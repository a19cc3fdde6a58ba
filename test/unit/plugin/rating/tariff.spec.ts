import { expect } from 'chai';
import { tariffSchema } from '../../../../plugin/rating/tariff.js';

const base = {
  code: 'FIBER-100',
  name: 'Fibre 100',
  currency: 'EUR',
  recurringFee: '29.90',
  usage: { direction: 'both', unit: 'GB', includedUnits: '500', charge: { model: 'graduated', tiers: [{ from: '0', to: '100', unitPrice: '0.10' }, { from: '100', unitPrice: '0.05', flatFee: '1' }] } },
};

describe('the tariff schema', () => {
  it('reads a tariff with its usage part into exact values, defaults filled in', () => {
    const t = tariffSchema.parse(base);
    expect([t.version, t.taxInclusive, t.includedUnits.toFixed(), t.recurringFee.toFixed()]).to.deep.equal([1, false, '500', '29.9']);
    expect(t.charge).to.deep.include({ model: 'graduated' });
    if (t.charge?.model !== 'graduated') throw new Error('graduated expected');
    expect(t.charge.tiers.map((x) => [x.from.toFixed(), x.to?.toFixed() ?? null, x.flatFee.toFixed()])).to.deep.equal([
      ['0', '100', '0'],
      ['100', null, '1'],
    ]);
  });

  it('refuses a price given as a binary float, naming the field', () => {
    const r = tariffSchema.safeParse({ ...base, recurringFee: 29.9 });
    expect(r.success).to.equal(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).to.deep.equal([['recurringFee', 'must be a decimal number such as 12.50']]);
  });

  it('names the tier that leaves a gap in the table', () => {
    const bad = { ...base, usage: { ...base.usage, charge: { model: 'volume', tiers: [{ from: '0', to: '100', unitPrice: '1' }, { from: '150', unitPrice: '1' }] } } };
    const r = tariffSchema.safeParse(bad);
    expect(r.error!.issues.map((i) => i.path.join('.'))).to.deep.equal(['usage.charge.tiers.1.from']);
  });

  it('refuses an unknown currency and an unknown unit', () => {
    const r = tariffSchema.safeParse({ ...base, currency: 'EURO', usage: { ...base.usage, unit: 'Gb' } });
    expect(r.error!.issues.map((i) => i.path.join('.'))).to.have.members(['currency', 'usage.unit']);
  });

  it('a tier price that is not a number is a field error, not a crash of the tier check', () => {
    const bad = { ...base, usage: { ...base.usage, charge: { model: 'graduated', tiers: [{ from: '0', to: '10', unitPrice: 'cheap' }] } } };
    const r = tariffSchema.safeParse(bad);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).to.deep.equal([['usage.charge.tiers.0.unitPrice', 'must be a non-negative decimal number such as 12.50']]);
  });
});
