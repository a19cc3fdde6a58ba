import { expect } from 'chai';
import { groupByLocalDay, localDayBounds, parsePeriod } from '../../../../plugin/usage/local-time.js';

const TZ = 'Europe/Berlin';
const H = 3_600_000;

describe('reporting days in the ISP time zone', () => {
  it('has 23 hours on the spring-forward day and 25 on the fall-back day', () => {
    const spring = localDayBounds('2026-03-29', TZ);
    const autumn = localDayBounds('2026-10-25', TZ);
    expect((spring.endMs - spring.startMs) / H).to.equal(23);
    expect((autumn.endMs - autumn.startMs) / H).to.equal(25);
  });

  it('groups UTC hours into local days across the DST change', () => {
    const { fromMs: startMs, toMs: endMs } = parsePeriod('2026-03-28', '2026-03-30', TZ);
    const rows = [
      { hourMs: Date.UTC(2026, 2, 28, 22), download: 1n, upload: 0n }, // 23:00 CET, 28th
      { hourMs: Date.UTC(2026, 2, 28, 23), download: 10n, upload: 0n }, // 00:00 CET, 29th
      { hourMs: Date.UTC(2026, 2, 29, 21), download: 100n, upload: 0n }, // 23:00 CEST, 29th
      { hourMs: Date.UTC(2026, 2, 29, 22), download: 1000n, upload: 0n }, // 00:00 CEST, 30th: outside
    ];
    const days = groupByLocalDay(rows, startMs, endMs, TZ);
    expect(days.map((d) => [d.date, d.hours, d.download])).to.deep.equal([
      ['2026-03-28', 24, 1n],
      ['2026-03-29', 23, 110n],
    ]);
  });

  it('reads a period of local dates as local midnights, `to` exclusive', () => {
    const p = parsePeriod('2026-10-25', '2026-10-26', TZ);
    expect(new Date(p.fromMs).toISOString()).to.equal('2026-10-24T22:00:00.000Z');
    expect((p.toMs - p.fromMs) / H).to.equal(25);
  });

  it('rejects a period that ends before it starts, naming the field', () => {
    expect(() => parsePeriod('2026-03-02', '2026-03-01', TZ)).to.throw(/to/);
    expect(() => parsePeriod('yesterday', '2026-03-01', TZ)).to.throw(/from/);
  });
});

describe('the longest period one usage answer covers', () => {
  it('takes a leap year of local days, across both DST changes', () => {
    const p = parsePeriod('2028-01-01', '2029-01-01', TZ, { maxDays: 366 });
    expect((p.toMs - p.fromMs) / H).to.equal(366 * 24);
  });

  it('refuses one day more, naming `to`', () => {
    expect(() => parsePeriod('2028-01-01', '2029-01-02', TZ, { maxDays: 366 }))
      .to.throw('longer than 366 days')
      .with.property('issues')
      .that.deep.equals([{ field: 'to', message: 'must be at most 366 days after from' }]);
  });
});
