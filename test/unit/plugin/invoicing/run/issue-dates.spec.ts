import { expect } from 'chai';
import { issueDates } from '../../../../../plugin/invoicing/run/issue-dates.js';
import { localMidnight } from '../../../../../plugin/rating/index.js';

const TZ = 'Europe/Berlin';
const october = { fromMs: localMidnight('2026-10-01', TZ), toMs: localMidnight('2026-11-01', TZ) };

describe('the dates of a document a billing run issues', () => {
  it('dates an on-time invoice the billing date and makes it due by the payment terms, with no note', () => {
    expect(issueDates(Date.parse('2026-10-01T05:00:00Z'), '2026-10-01', october, 'invoice', 14, TZ)).to.deep.equal({ issueDate: '2026-10-01', dueDate: '2026-10-15', notes: [] });
  });

  it('dates a back-dated run\'s invoice the day it runs (never the past billing date), due by the terms from then, and names the billing date and period', () => {
    expect(issueDates(Date.parse('2026-12-03T09:00:00Z'), '2026-10-01', october, 'invoice', 30, TZ)).to.deep.equal({
      issueDate: '2026-12-03',
      dueDate: '2027-01-02',
      notes: ['Billing date 2026-10-01 (period 2026-10-01 – 2026-10-31), issued on 2026-12-03.'],
    });
  });

  it('makes a credit note due the day it is issued', () => {
    expect(issueDates(Date.parse('2026-12-03T09:00:00Z'), '2026-10-01', october, 'credit_note', 30, TZ).dueDate).to.equal('2026-12-03');
  });

  it('takes the local day of the ISP, not the UTC one (23:30 UTC on 30 September is 1 October in Berlin)', () => {
    expect(issueDates(Date.parse('2026-09-30T23:30:00Z'), '2026-10-01', october, 'invoice', 0, TZ)).to.deep.equal({ issueDate: '2026-10-01', dueDate: '2026-10-01', notes: [] });
  });
});
