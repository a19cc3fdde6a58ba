import { expect } from 'chai';
import fc from 'fast-check';
import { decimal } from '../../../../plugin/common/money.js';
import type { Tariff } from '../../../../plugin/rating/index.js';
import { versionAt, type TariffVersion } from '../../../../plugin/tariffs/index.js';

function tariff(version: number): Tariff {
  return {
    code: 'FIBRE', name: 'Fibre', version, currency: 'EUR', recurringFee: decimal(String(10 * version)), taxInclusive: false,
    direction: 'download', unit: 'GB', includedUnits: decimal('0'), charge: null, timeBands: [], topUps: [], fairUse: null,
  };
}
const v = (version: number, at: string): TariffVersion => ({ tariff: tariff(version), effectiveFromMs: Date.parse(at) });

describe('the version a billing period is rated with (versionAt)', () => {
  const versions = [v(1, '2026-01-10T09:00:00Z'), v(2, '2026-02-14T12:00:00Z'), v(3, '2026-03-20T08:00:00Z')];

  it('is the latest version in effect at the period start, so an edit applies from the next period', () => {
    expect(versionAt(versions, Date.parse('2026-03-01T00:00:00Z')).tariff.version).to.equal(2);
    expect(versionAt(versions, Date.parse('2026-04-01T00:00:00Z')).tariff.version).to.equal(3);
  });

  it('takes a version effective exactly at the period start', () => {
    expect(versionAt(versions, Date.parse('2026-02-14T12:00:00Z')).tariff.version).to.equal(2);
  });

  it('is the first version when the tariff was created after the period started', () => {
    expect(versionAt(versions, Date.parse('2026-01-01T00:00:00Z')).tariff.version).to.equal(1);
  });

  it('prefers the higher version when two take effect at the same instant (an activated draft)', () => {
    expect(versionAt([v(1, '2026-01-01T00:00:00Z'), v(2, '2026-01-01T00:00:00Z')], Date.parse('2026-02-01T00:00:00Z')).tariff.version).to.equal(2);
  });

  it('refuses an empty version list', () => {
    expect(() => versionAt([], 0)).to.throw(RangeError);
  });

  it('never picks a version effective after the period start unless it is the first, and never skips a later one in effect', () => {
    const list = fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 12 }).map((gaps) => {
      let at = 1_700_000_000_000;
      return gaps.map((g, i) => ({ tariff: tariff(i + 1), effectiveFromMs: (at += g * 60_000) }));
    });
    fc.assert(
      fc.property(list, fc.integer({ min: 1_699_000_000_000, max: 1_701_000_000_000 }), (vs, start) => {
        const chosen = versionAt(vs, start);
        if (chosen.tariff.version !== 1) expect(chosen.effectiveFromMs).to.be.at.most(start);
        else if (chosen.effectiveFromMs > start) expect(vs.every((x) => x.effectiveFromMs > start || x.tariff.version === 1)).to.equal(true);
        // No later version was already in effect at the period start.
        expect(vs.some((x) => x.tariff.version > chosen.tariff.version && x.effectiveFromMs <= start)).to.equal(false);
      }),
      { numRuns: 500 },
    );
  });
});
