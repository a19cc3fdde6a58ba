import { expect } from 'chai';
import { parseChargeInput } from '../../../../plugin/tariffs/charges.js';

describe('an extra charge', () => {
  it('recurring: a price as text, optional dates, billed every period', () => {
    const { value, issues } = parseChargeInput({ code: 'STATIC-IP', description: 'Static IPv4 address', price: '5.00', recurring: 'true', fromDate: '2026-03-01' }, 7, 'Europe/Berlin');
    expect(issues).to.deep.equal([]);
    expect(value).to.deep.include({ accountId: 7, serviceId: null, code: 'STATIC-IP', recurring: true, fromDate: '2026-03-01', toDate: null, atMs: null, taxInclusive: false });
    expect(value!.price.toFixed(2)).to.equal('5.00');
  });

  it('one-off: billed at an instant; a local date is midnight in the ISP zone', () => {
    const { value } = parseChargeInput({ code: 'INSTALL', description: 'Installation', price: '79', recurring: false, at: '2026-03-10' }, 7, 'Europe/Berlin');
    expect(new Date(value!.atMs!).toISOString()).to.equal('2026-03-09T23:00:00.000Z');
  });

  it('names every bad field, a float price included', () => {
    const { value, issues } = parseChargeInput({ code: '', description: '', price: 5, recurring: 'false', fromDate: '2026-02-30', colour: 'red' }, 7, 'UTC');
    expect(value).to.equal(null);
    expect(issues.map((i) => i.field).sort()).to.deep.equal(['at', 'code', 'colour', 'description', 'fromDate', 'price']);
  });

  it('refuses a recurring charge whose to date is not after its from date', () => {
    const { issues } = parseChargeInput({ code: 'TV', description: 'TV', price: '9.99', recurring: 'true', fromDate: '2026-03-01', toDate: '2026-03-01' }, 1, 'UTC');
    expect(issues).to.deep.equal([{ field: 'toDate', message: 'must be after the from date' }]);
  });
});
