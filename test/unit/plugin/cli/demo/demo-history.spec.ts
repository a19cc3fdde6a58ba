import { expect } from 'chai';
import fc from 'fast-check';
import { checkRecords } from '../../../../../plugin/ingest/validate.js';
import { HISTORY, historyBatchId, lastMonth, monthRecords, splitExactly } from '../../../../../plugin/cli/demo/demo-history.js';

describe("the demo's last month of usage", () => {
  const month = lastMonth(new Date('2026-12-02T01:00:00Z'), 'UTC');

  it('is the month before now, named for the terminal', () => {
    expect(month.from.toISO()).to.equal('2026-11-01T00:00:00.000Z');
    expect(month.to.toISODate()).to.equal('2026-12-01');
    expect(month.label).to.equal('November 2026');
    expect(lastMonth(new Date('2027-01-15T12:00:00Z'), 'Europe/Berlin').label).to.equal('December 2026');
  });

  it('splits an amount into whole parts that add up to it exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 40 }), (total, weights) => {
        const parts = splitExactly(total, weights);
        expect(parts).to.have.length(weights.length);
        expect(parts.reduce((a, b) => a + b, 0n)).to.equal(total);
        expect(parts.every((p) => p >= 0n)).to.equal(true);
      }),
    );
  });

  it("gives each customer exactly the month's planned bytes, ending every session with its total", () => {
    for (const plan of HISTORY) {
      const records = monthRecords({ ...plan, source: 'radius', sourceName: 'bras-1' }, month);
      const finals = records.filter((r) => r.ended);
      const down = finals.reduce((a, r) => a + BigInt(r.downloadOctets), 0n);
      const up = finals.reduce((a, r) => a + BigInt(r.uploadOctets), 0n);
      expect(down, plan.login).to.equal(BigInt(Math.round(plan.downloadGB * 1000)) * 1_000_000n);
      expect(up, plan.login).to.equal(BigInt(Math.round(plan.uploadGB * 1000)) * 1_000_000n);
      expect(records.every((r) => r.observedAt >= '2026-11-01' && r.observedAt < '2026-12-01')).to.equal(true);
    }
  });

  it('puts the night share between 00:30 and 06:30 and the rest in the evening', () => {
    const records = monthRecords({ login: 'user0005', downloadGB: 100, uploadGB: 0, nightShare: 0.5, source: 'poll', sourceName: 'pop-north' }, month);
    const night = records.filter((r) => r.ended && r.sessionId.endsWith('-n'));
    expect(night).to.have.length(30);
    expect(night.reduce((a, r) => a + BigInt(r.downloadOctets), 0n)).to.equal(50_000_000_000n);
    expect(night.every((r) => r.observedAt.slice(11, 16) === '06:30')).to.equal(true);
  });

  it('is the same records under the same ids every time, each one valid for the agent API', () => {
    const c = { ...HISTORY[0]!, source: 'poll' as const, sourceName: 'pop-north' };
    expect(monthRecords(c, month)).to.deep.equal(monthRecords(c, month));
    const records = monthRecords(c, month);
    expect(new Set(records.map((r) => r.recordId)).size).to.equal(records.length);
    const { valid, rejected } = checkRecords(records, { nowMs: Date.parse('2026-12-02T01:00:00Z'), futureToleranceMs: 0 });
    expect(rejected).to.deep.equal([]);
    expect(valid).to.have.length(records.length);
    expect(historyBatchId('user0001', month)).to.equal('demo-history-user0001-2026-11');
  });
});
