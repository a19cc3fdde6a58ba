import { expect } from 'chai';
import { ValidationError } from '../../../../plugin/common/errors.js';
import { tariffSchema } from '../../../../plugin/rating/index.js';
import { continuityIssues, definitionOf, parseDefinition, readStoredDefinition } from '../../../../plugin/tariffs/definition.js';
import { formFromDefinition, formIssue, inputFromForm } from '../../../../plugin/tariffs/form.js';

const graduated = {
  code: 'FIBRE-200', name: 'Fibre 200', currency: 'EUR', recurringFee: '49.90',
  usage: { direction: 'both', unit: 'GB', includedUnits: '500', charge: { model: 'graduated', tiers: [{ from: '0', to: '100', unitPrice: '0.04' }, { from: '100', unitPrice: '0.02', flatFee: '1.00' }] }, topUps: [{ code: 'EXTRA-100', units: '100', price: '3.00' }] },
};

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('a catalogue tariff definition', () => {
  it('is stored in one canonical input form that rating reads back to the same tariff', () => {
    const t = parseDefinition({ ...graduated, version: '3' });
    const stored = definitionOf(t);
    expect(stored.version).to.equal('3');
    expect((stored.usage!.charge as { tiers: unknown[] }).tiers).to.deep.equal([{ from: '0', to: '100', unitPrice: '0.04', flatFee: '0' }, { from: '100', unitPrice: '0.02', flatFee: '1' }]);
    const again = tariffSchema.parse(JSON.parse(JSON.stringify(stored)));
    expect(definitionOf(again)).to.deep.equal(stored);
    expect(again.recurringFee.toFixed(2)).to.equal('49.90');
  });

  it('names every bad field with its dotted path', () => {
    const issues = issuesOf(() => parseDefinition({ code: 'bad code', name: '', currency: 'EURO', recurringFee: '12,50' }));
    expect(issues.map((i) => i.field).sort()).to.deep.equal(['code', 'currency', 'name', 'recurringFee']);
  });

  it('refuses codes that name a page of the tariff pages', () => {
    expect(issuesOf(() => parseDefinition({ ...graduated, code: 'new' }))[0]!.message).to.contain('names a page');
  });

  it('keeps code and currency between versions', () => {
    expect(continuityIssues({ code: 'A', currency: 'EUR' }, { currency: 'USD' })).to.deep.equal([
      { field: 'currency', message: 'cannot change between versions (it is EUR): make a new tariff instead' },
    ]);
    expect(continuityIssues({ code: 'A', currency: 'EUR' }, {})).to.deep.equal([]);
  });

  it('reads a draft taken over from a free-text service tariff that breaks the code rule, code kept', () => {
    const t = readStoredDefinition(JSON.stringify({ code: 'Fibre 50 (old)', name: 'Fibre 50 (old)', version: '1', currency: 'EUR', recurringFee: '0' }), 'Fibre 50 (old)', 1);
    expect(t.code).to.equal('Fibre 50 (old)');
    expect(t.recurringFee.toFixed()).to.equal('0');
  });
});

describe('the tariff form', () => {
  const form = {
    code: 'FIBRE-200', name: 'Fibre 200', currency: 'eur', recurringFee: '49.90', taxInclusive: 'false', direction: 'both', unit: 'GB', includedUnits: '500',
    chargeModel: 'graduated', tiers: '0, 100, 0.04\n100, , 0.02, 1.00', topUps: 'EXTRA-100, 100, 3.00', timeBands: '', fairUseCap: '', fairUseRate: '',
  };

  it('turns tier lines into the tiers rating reads', () => {
    const { input, issues } = inputFromForm(form);
    expect(issues).to.deep.equal([]);
    const t = parseDefinition(input);
    expect(t.currency).to.equal('EUR');
    expect(t.charge).to.include({ model: 'graduated' });
    expect(t.topUps.map((p) => p.code)).to.deep.equal(['EXTRA-100']);
  });

  it('names the line of a bad tier, counting blank lines as typed', () => {
    expect(inputFromForm({ ...form, tiers: '0, 100, 0.04\n\n100, , 0,02' }).issues).to.deep.equal([
      { field: 'tiers', message: 'line 3: write decimals with a point (0.02) and separate values with a comma and a space (got "100, , 0,02")' },
    ]);
    expect(inputFromForm({ ...form, tiers: '0, 100\n100, , 0.02' }).issues).to.deep.equal([{ field: 'tiers', message: 'line 1: needs from, to, unit price and optionally a flat fee (got "0, 100")' }]);
    const bad = inputFromForm({ ...form, tiers: '0, 100, 0.04\n\n100, , abc' });
    const schema = issuesOf(() => parseDefinition(bad.input)).map((i) => formIssue(i, bad.lineOf));
    expect(schema).to.deep.equal([{ field: 'tiers', message: 'line 3, unit price: must be a non-negative decimal number such as 12.50' }]);
  });

  it('shows a stored definition back as the values the form was filled with', () => {
    const t = parseDefinition(inputFromForm(form).input);
    const values = formFromDefinition(definitionOf(t));
    expect(values.tiers).to.equal('0, 100, 0.04, 0\n100, , 0.02, 1');
    expect(values.currency).to.equal('EUR');
    expect(parseDefinition(inputFromForm(values).input)).to.deep.equal(t);
  });
});
