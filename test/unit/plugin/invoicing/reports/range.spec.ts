import { expect } from 'chai';
import { parseReportRange } from '../../../../../plugin/invoicing/reports/range.js';

const now = Date.parse('2026-03-31T23:30:00Z'); // already April 1st in Berlin

describe("the reports' selection", () => {
  it('defaults to the twelve months up to the current local one, the latest period and a top 10', () => {
    const { range, issues } = parseReportRange({}, now, 'Europe/Berlin', '2026-03-01');
    expect(issues).to.deep.equal([]);
    expect(range).to.deep.equal({ fromMonth: '2025-05', toMonth: '2026-04', fromDate: '2025-05-01', toDate: '2026-05-01', period: '2026-03-01', top: 10 });
  });

  it('names each bad field and why', () => {
    const { issues } = parseReportRange({ from: '2026-13', to: 'March', period: '1.3.2026', top: '0' }, now, 'UTC', null);
    expect(issues.map((i) => i.field)).to.deep.equal(['to', 'from', 'period', 'top']);
    expect(parseReportRange({ from: '2026-05', to: '2026-02' }, now, 'UTC', null).issues).to.deep.equal([{ field: 'to', message: 'must not be before the month from' }]);
    expect(parseReportRange({ from: '2020-01', to: '2026-02' }, now, 'UTC', null).issues[0]!.message).to.contain('at most 36 months');
  });
});
