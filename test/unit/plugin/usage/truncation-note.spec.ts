import { expect } from 'chai';
import { truncationNote } from '../../../../plugin/usage/view-models.js';

describe('truncationNote (what a list page says when it stops short)', () => {
  it('says nothing when every row fits, the limit exactly included', () => {
    expect(truncationNote(500, 0, null)).to.equal(null);
    expect(truncationNote(500, 500, null)).to.equal(null);
  });

  it('says how many it shows of how many when the list stops at its limit', () => {
    expect(truncationNote(500, 501, 1234)).to.equal('Showing the first 500 of 1,234.');
    expect(truncationNote(10_000, 10_001, 10_001)).to.equal('Showing the first 10,000 of 10,001.');
  });

  it('says only that more exist when there is no count, or the count lags behind the list', () => {
    expect(truncationNote(500, 501, null)).to.equal('Showing the first 500; more exist.');
    expect(truncationNote(500, 501, 500)).to.equal('Showing the first 500; more exist.');
  });
});
