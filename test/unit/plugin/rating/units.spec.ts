import { expect } from 'chai';
import { bytesToUnits, countedBytes, unitLabel, unitsToBytes } from '../../../../plugin/rating/units.js';

describe('billable units', () => {
  it('sells decimal units as powers of 1000 and binary units as powers of 1024', () => {
    expect(bytesToUnits(1_500_000_000n, 'GB').toFixed()).to.equal('1.5');
    expect(bytesToUnits(1_610_612_736n, 'GiB').toFixed()).to.equal('1.5');
    expect(bytesToUnits(1n, 'KiB').toFixed()).to.equal('0.0009765625');
    expect(bytesToUnits(1024n ** 4n, 'TiB').toFixed()).to.equal('1');
  });

  it('keeps the largest counter a router can report exact in the smallest binary fraction', () => {
    const max = (1n << 64n) - 1n;
    const units = bytesToUnits(max, 'TiB');
    expect(unitsToBytes(units, 'TiB').toFixed()).to.equal(max.toString());
  });

  it('counts download, upload or both, as the tariff says', () => {
    const t = { download: 700n, upload: 300n };
    expect([countedBytes(t, 'download'), countedBytes(t, 'upload'), countedBytes(t, 'both')]).to.deep.equal([700n, 300n, 1000n]);
  });

  it('says on the invoice which kind of gigabyte it is', () => {
    expect(unitLabel('GB')).to.equal('GB (1000^3 bytes)');
    expect(unitLabel('MiB')).to.equal('MiB (1024^2 bytes)');
  });
});
