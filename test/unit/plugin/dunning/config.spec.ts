import { expect } from 'chai';
import { dunningConfigSchema } from '../../../../plugin/dunning/config.js';

describe('dunning settings', () => {
  it('accepts suspendAfterDays 0 with no grace period: suspension on the first overdue day', () => {
    expect(dunningConfigSchema.parse({ graceDays: 0, suspendAfterDays: 0 })).to.deep.include({ graceDays: 0, suspendAfterDays: 0 });
    expect(dunningConfigSchema.parse({ graceDays: 3, suspendAfterDays: 3 })).to.deep.include({ graceDays: 3, suspendAfterDays: 3 });
  });

  it('refuses a suspension day inside the grace period or below 0, naming the field', () => {
    const bad = dunningConfigSchema.safeParse({ graceDays: 3, suspendAfterDays: 2 });
    expect(bad.success).to.equal(false);
    expect(bad.error!.issues.map((i) => [i.path.join('.'), i.message])).to.deep.equal([['suspendAfterDays', 'must not be within the grace period (at least graceDays)']]);
    expect(dunningConfigSchema.safeParse({ graceDays: 0, suspendAfterDays: -1 }).error!.issues[0]!.path).to.deep.equal(['suspendAfterDays']);
  });
});
