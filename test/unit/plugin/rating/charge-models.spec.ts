import { expect } from 'chai';
import { decimal } from '../../../../plugin/common/money.js';
import { applyChargeModel, tierIssues, type ChargeModel, type Tier } from '../../../../plugin/rating/charge-models.js';

const d = (s: string) => decimal(s);
const tier = (from: string, to: string | null, unitPrice: string, flatFee = '0'): Tier => ({ from: d(from), to: to === null ? null : d(to), unitPrice: d(unitPrice), flatFee: d(flatFee) });
const amountOf = (model: ChargeModel, units: string) => applyChargeModel(model, d(units)).amount.toFixed();

describe('charge models', () => {
  describe('graduated tiers (worked examples of getlago/lago-api spec/services/charge_models/graduated_service_spec.rb)', () => {
    const lago: ChargeModel = { model: 'graduated', tiers: [tier('0', '10', '10', '2'), tier('11', '20', '5', '3'), tier('21', null, '5', '3')] };

    it('charges the first tier flat fee at 0 units: 2', () => {
      const r = applyChargeModel(lago, d('0'));
      expect(r.amount.toFixed()).to.equal('2');
      expect(r.details.map((x) => [x.tier, x.units.toFixed(), x.unitPrice.toFixed(), x.flatFee.toFixed()])).to.deep.equal([[1, '0', '0', '2']]);
    });

    it('charges 12 for 1 unit, 102 for 10 (the top of the first tier, no second flat fee)', () => {
      expect(amountOf(lago, '1')).to.equal('12');
      expect(amountOf(lago, '10')).to.equal('102');
    });

    it('charges 110 for 11 units and 115 for 12: the second tier adds its flat fee once it is reached', () => {
      expect(amountOf(lago, '11')).to.equal('110');
      const r = applyChargeModel(lago, d('12'));
      expect(r.amount.toFixed()).to.equal('115');
      expect(r.details.map((x) => [x.tier, x.units.toFixed(), x.amount.toFixed()])).to.deep.equal([
        [1, '10', '102'],
        [2, '2', '13'],
      ]);
    });

    it('charges 163 for 21 units across all three tiers', () => {
      const r = applyChargeModel(lago, d('21'));
      expect(r.amount.toFixed()).to.equal('163');
      expect(r.details.map((x) => x.units.toFixed())).to.deep.equal(['10', '10', '1']);
    });

    it('charges nothing at 0 units when the first tier has no flat fee', () => {
      const m: ChargeModel = { model: 'graduated', tiers: [tier('0', '0.01', '0', '0'), tier('0.01', '10', '10', '2'), tier('11', null, '5', '3')] };
      expect(amountOf(m, '0')).to.equal('0');
    });

    it('counts adjacent decimal tiers half-open: 0.05 units cost 0.5, 0.5 units cost 3.0', () => {
      const m: ChargeModel = { model: 'graduated', tiers: [tier('0', '0.1', '10'), tier('0.1', '1', '5'), tier('1', null, '2')] };
      expect(amountOf(m, '0.05')).to.equal('0.5');
      const r = applyChargeModel(m, d('0.5'));
      expect(r.amount.toFixed()).to.equal('3');
      expect(r.details.map((x) => x.units.toFixed())).to.deep.equal(['0.1', '0.4']);
    });
  });

  describe('volume tiers (worked examples of getlago/lago-api spec/services/charge_models/volume_service_spec.rb)', () => {
    const lago: ChargeModel = { model: 'volume', tiers: [tier('0', '100', '2', '10'), tier('101', '200', '1', '0'), tier('201', null, '0.5', '50')] };

    it('charges the first tier flat fee at 0 units: 10', () => {
      expect(amountOf(lago, '0')).to.equal('10');
    });

    it('charges 12 for 1 unit and 210 at the top of the first tier (100 units)', () => {
      expect(amountOf(lago, '1')).to.equal('12');
      expect(amountOf(lago, '100')).to.equal('210');
    });

    it('prices 100.5 units, between two integer tiers, all at the second tier: 100.5', () => {
      const r = applyChargeModel(lago, d('100.5'));
      expect(r.amount.toFixed()).to.equal('100.5');
      expect(r.details[0]!.tier).to.equal(2);
    });

    it('charges 101 for 101 units and 200 for 200 units (second tier, no flat fee)', () => {
      expect(amountOf(lago, '101')).to.equal('101');
      expect(amountOf(lago, '200')).to.equal('200');
    });

    it('charges 200 for 300 units: all at the last tier, 150 plus its flat fee of 50', () => {
      const r = applyChargeModel(lago, d('300'));
      expect(r.amount.toFixed()).to.equal('200');
      expect(r.details.map((x) => [x.tier, x.units.toFixed(), x.unitPrice.toFixed(), x.flatFee.toFixed()])).to.deep.equal([[3, '300', '0.5', '50']]);
    });

    it('charges 155 for 210 units (the fixed-charge example: 50 + 210 x 0.5)', () => {
      expect(amountOf(lago, '210')).to.equal('155');
    });

    it('charges nothing at 0 units when the first tier has no flat fee', () => {
      const m: ChargeModel = { model: 'volume', tiers: [tier('0', '1', '0', '0'), tier('2', '100', '2', '10'), tier('101', null, '0.5', '50')] };
      expect(amountOf(m, '0')).to.equal('0');
    });
  });

  describe('package (worked examples of getlago/lago-api spec/services/charge_models/package_service_spec.rb)', () => {
    const pkg = (free: string): ChargeModel => ({ model: 'package', packageSize: d('10'), packagePrice: d('100'), freeUnits: d(free) });

    it('charges 1300 for 121 units in packages of 10 at 100: a package counts from its first unit', () => {
      const r = applyChargeModel(pkg('0'), d('121'));
      expect(r.amount.toFixed()).to.equal('1300');
      expect(r.details[0]!.units.toFixed()).to.equal('13');
    });

    it('charges 1200 for 121 units with 10 free units (111 paid units)', () => {
      const r = applyChargeModel(pkg('10'), d('121'));
      expect(r.amount.toFixed()).to.equal('1200');
      expect(r.billedUnits.toFixed()).to.equal('111');
    });

    it('charges nothing when the free units exceed the usage', () => {
      expect(amountOf(pkg('200'), '121')).to.equal('0');
    });
  });

  describe('per unit', () => {
    it('multiplies the units by the unit price (Lago standard model, spec/services/charge_models/standard_service_spec.rb)', () => {
      expect(amountOf({ model: 'per_unit', unitPrice: d('5.12345') }, '10')).to.equal('51.2345');
    });

    it('rounds the quantity up to the stated block: per started 100 MB', () => {
      const r = applyChargeModel({ model: 'per_unit', unitPrice: d('0.01'), block: d('100') }, d('130.5'));
      expect(r.billedUnits.toFixed()).to.equal('200');
      expect(r.amount.toFixed()).to.equal('2');
      expect(amountOf({ model: 'per_unit', unitPrice: d('0.01'), block: d('100') }, '0')).to.equal('0');
      expect(amountOf({ model: 'per_unit', unitPrice: d('0.01'), block: d('100') }, '100')).to.equal('1');
    });
  });

  describe('tier tables', () => {
    it('accepts Lago-style inclusive integer tiers and adjacent tiers', () => {
      expect(tierIssues([tier('0', '10', '1'), tier('11', '20', '1'), tier('21', null, '1')])).to.deep.equal([]);
      expect(tierIssues([tier('0', '10', '1'), tier('10', null, '1')])).to.deep.equal([]);
    });

    it('names the tier that leaves a gap, overlaps, or is open-ended too early', () => {
      expect(tierIssues([tier('0', '10', '1'), tier('15', null, '1')]).map((i) => i.field)).to.deep.equal(['tiers.1.from']);
      expect(tierIssues([tier('0', null, '1'), tier('10', null, '1')]).map((i) => i.field)).to.deep.equal(['tiers.0.to']);
      expect(tierIssues([tier('5', '10', '1'), tier('10', '20', '1')]).map((i) => i.field)).to.deep.equal(['tiers.0.from', 'tiers.1.to']);
    });
  });
});
