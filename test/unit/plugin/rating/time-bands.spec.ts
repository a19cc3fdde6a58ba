import { expect } from 'chai';
import { decimal } from '../../../../plugin/common/money.js';
import { timeBandIssues, weighBandTotals, weighByBands, type TimeBand } from '../../../../plugin/rating/time-bands.js';

const night = (from = '00:00', to = '07:00', percent = '0'): TimeBand => ({ name: 'night', from, to, percent: decimal(percent) });
const span = { fromMs: Date.parse('2026-01-01T00:00:00Z'), toMs: Date.parse('2027-01-01T00:00:00Z') };
const at = (iso: string) => Date.parse(iso);

describe('time bands', () => {
  it('make night traffic free in the ISP zone, day traffic full price', () => {
    const buckets = [
      { startMs: at('2026-06-01T22:00:00Z'), bytes: 1000n }, // 00:00 in Berlin (UTC+2): night
      { startMs: at('2026-06-02T04:00:00Z'), bytes: 500n }, // 06:00 local: night
      { startMs: at('2026-06-02T05:00:00Z'), bytes: 300n }, // 07:00 local: day
    ];
    const r = weighByBands(buckets, [night()], 'Europe/Berlin');
    expect(r.weightedBytes.toFixed()).to.equal('300');
    expect(r.byBand.map((b) => [b.band, b.bytes])).to.deep.equal([
      [null, 300n],
      ['night', 1500n],
    ]);
  });

  it('count a band at its percentage and wrap a band past midnight', () => {
    const buckets = [
      { startMs: at('2026-01-10T21:00:00Z'), bytes: 1000n }, // 22:00 in Berlin (UTC+1)
      { startMs: at('2026-01-11T04:00:00Z'), bytes: 1000n }, // 05:00 local
      { startMs: at('2026-01-11T12:00:00Z'), bytes: 1000n }, // 13:00 local
    ];
    expect(weighByBands(buckets, [night('22:00', '06:00', '50')], 'Europe/Berlin').weightedBytes.toFixed()).to.equal('2000');
  });

  it('follow the band through a DST change: 00:00 local is 23:00 UTC in winter and 22:00 UTC in summer', () => {
    const winter = weighByBands([{ startMs: at('2026-01-10T23:00:00Z'), bytes: 10n }], [night()], 'Europe/Berlin');
    const summer = weighByBands([{ startMs: at('2026-07-10T22:00:00Z'), bytes: 10n }], [night()], 'Europe/Berlin');
    expect([winter.weightedBytes.toFixed(), summer.weightedBytes.toFixed()]).to.deep.equal(['0', '0']);
  });

  it('accept whole-hour bands in whole-hour zones', () => {
    expect(timeBandIssues([night()], { timezone: 'Europe/Berlin', bucketMinutes: 60, ...span })).to.deep.equal([]);
  });

  it('refuse a band at 00:00 in Asia/Kolkata with hourly buckets, which start at :30 local, and accept 00:30', () => {
    const bad = timeBandIssues([night()], { timezone: 'Asia/Kolkata', bucketMinutes: 60, ...span });
    expect(bad.map((i) => i.field)).to.deep.equal(['timeBands.0.from', 'timeBands.0.to']);
    expect(bad[0]!.message).to.equal('00:00 in Asia/Kolkata (UTC+05:30) is not on a 60-minute usage bucket boundary');
    expect(timeBandIssues([night('00:30', '06:30')], { timezone: 'Asia/Kolkata', bucketMinutes: 60, ...span })).to.deep.equal([]);
    expect(timeBandIssues([night()], { timezone: 'Asia/Kolkata', bucketMinutes: 30, ...span })).to.deep.equal([]);
    expect(timeBandIssues([night()], { timezone: 'Asia/Kathmandu', bucketMinutes: 30, ...span })).to.have.length(2);
  });

  it('refuse a band boundary that fits only one side of a half-hour DST shift (Australia/Lord_Howe)', () => {
    expect(timeBandIssues([night()], { timezone: 'Australia/Lord_Howe', bucketMinutes: 60, ...span }).length).to.be.greaterThan(0);
  });

  it('refuse overlapping bands and malformed times, naming the band', () => {
    const issues = timeBandIssues([night('00:00', '07:00'), { ...night('06:00', '08:00'), name: 'dawn' }, night('7:00', '25:00')], { timezone: 'UTC', bucketMinutes: 60, ...span });
    expect(issues.map((i) => [i.field, i.message])).to.deep.equal([
      ['timeBands.1.from', 'overlaps band "night"'],
      ['timeBands.2.from', 'must be a local time HH:MM (00:00 to 24:00)'],
      ['timeBands.2.to', 'must be a local time HH:MM (00:00 to 24:00)'],
    ]);
  });

  it('weigh usage the read port already split by band the same as the buckets it came from', () => {
    const buckets = [
      { startMs: at('2026-06-01T22:00:00Z'), bytes: 1000n },
      { startMs: at('2026-06-02T05:00:00Z'), bytes: 300n },
    ];
    const bands = [night('00:00', '07:00', '25')];
    const fromBuckets = weighByBands(buckets, bands, 'Europe/Berlin');
    const fromTotals = weighBandTotals([{ band: null, bytes: 300n }, { band: 'night', bytes: 1000n }], bands);
    expect(fromTotals.weightedBytes.toFixed()).to.equal(fromBuckets.weightedBytes.toFixed());
    expect(fromTotals.weightedBytes.toFixed()).to.equal('550');
    expect(() => weighBandTotals([{ band: 'peak', bytes: 1n }], bands)).to.throw(RangeError, /"peak"/);
  });
});

