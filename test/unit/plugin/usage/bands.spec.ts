import { expect } from 'chai';
import { bandDifferences, bandOf, checkBands, sumByBand } from '../../../../plugin/usage/bands.js';

const night = { name: 'night', from: '00:00', to: '07:00' };

describe('time bands for billing', () => {
  it('puts a bucket in the band holding its local start, in a half-hour zone', () => {
    // 18:30 UTC is 00:00 in Asia/Kolkata; 18:15 UTC is 23:45 the day before.
    expect(bandOf(Date.UTC(2026, 2, 1, 18, 30), [night], 'Asia/Kolkata')).to.equal('night');
    expect(bandOf(Date.UTC(2026, 2, 1, 18, 15), [night], 'Asia/Kolkata')).to.equal(null);
    expect(bandOf(Date.UTC(2026, 2, 2, 1, 15), [night], 'Asia/Kolkata')).to.equal('night'); // 06:45
    expect(bandOf(Date.UTC(2026, 2, 2, 1, 30), [night], 'Asia/Kolkata')).to.equal(null); // 07:00
  });

  it('takes a band that wraps past midnight', () => {
    const late = [{ name: 'late', from: '22:00', to: '06:00' }];
    expect(bandOf(Date.UTC(2026, 5, 1, 21, 0), late, 'Europe/Berlin')).to.equal('late'); // 23:00 CEST
    expect(bandOf(Date.UTC(2026, 5, 1, 4, 0), late, 'Europe/Berlin')).to.equal(null); // 06:00 CEST
  });

  it('refuses band edges off the quarter hour and overlapping bands, naming the field', () => {
    expect(() => checkBands([{ name: 'x', from: '00:10', to: '07:00' }])).to.throw('not valid').with.property('issues').that.deep.equals([
      { field: 'bands.0.from', message: 'must be on a quarter hour (usage is kept in 15-minute buckets)' },
    ]);
    expect(() => checkBands([night, { name: 'early', from: '06:00', to: '08:00' }])).to.throw('not valid').with.property('issues').that.deep.equals([{ field: 'bands.1', message: 'overlaps band night' }]);
  });

  it('sums per band, listing empty bands and what lies outside every band', () => {
    const rows = [
      { hourMs: Date.UTC(2026, 2, 1, 23), download: 5n, upload: 1n }, // 00:00 Berlin
      { hourMs: Date.UTC(2026, 2, 2, 12), download: 7n, upload: 2n },
    ];
    expect(sumByBand(rows, [night, { name: 'evening', from: '18:00', to: '22:00' }], 'Europe/Berlin')).to.deep.equal([
      { band: 'night', download: 5n, upload: 1n },
      { band: 'evening', download: 0n, upload: 0n },
      { band: null, download: 7n, upload: 2n },
    ]);
  });

  it('reports what changed per band, signed', () => {
    const before = [{ band: 'night', download: 5n, upload: 1n }, { band: null, download: 7n, upload: 2n }];
    const now = [{ band: 'night', download: 5n, upload: 1n }, { band: null, download: 4n, upload: 9n }];
    expect(bandDifferences(before, now)).to.deep.equal([{ band: null, download: -3n, upload: 7n }]);
  });
});
