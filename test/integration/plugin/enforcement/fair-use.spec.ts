import { expect } from 'chai';
import type { ManualClock } from '../../../../plugin/common/clock.js';
import { sqlTime, valuesPlaceholders } from '../../../../plugin/db/sql.js';
import { FairUseJob } from '../../../../plugin/enforcement/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GB = 1_000_000_000n;
const fup = {
  code: 'FUP-100', name: 'Unlimited (fair use 100 GB)', currency: 'EUR', recurringFee: '30.00',
  usage: { direction: 'both', unit: 'GB', charge: { model: 'per_unit', unitPrice: '0' }, fairUse: { capUnits: '100', throttleRate: '2M/2M' } },
};

/** Issue 14: fair use throttles past the cap and lets go at the next period. */
forEachDatabase('the fair-use job', (dialect) => {
  let plugin: TestPlugin;
  let clock: ManualClock;
  let job: FairUseJob;
  const ids: Record<string, number> = {};

  async function usage(login: string, fromIso: string, hours: number, perHour: bigint) {
    const rows: unknown[] = [];
    const t = (ms: number) => sqlTime(plugin.ctx.db.dialect, ms);
    for (let h = 0; h < hours; h++) rows.push(login, t(Date.parse(fromIso) + h * 3_600_000), ids[login], 'radius', (perHour / 2n).toString(), (perHour / 2n).toString(), t(Date.parse(fromIso)));
    await plugin.ctx.db.sequelize.query(`INSERT INTO usage_hourly (login, hour_start, service_id, source, download, upload, updated_at) VALUES ${valuesPlaceholders(hours, 7)}`, { replacements: rows });
  }

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin', schedule: { enabled: false } }, enforcement: { fairUse: { enabled: false } } } });
    clock = plugin.clock as ManualClock;
    clock.set('2026-03-20T10:00:00Z');
    await plugin.services.tariffs.catalogue.create(fup, 'user:1');
    const { subscribers } = plugin.services.subscribers;
    for (const [login, tariff, startDate] of [['alice', 'FUP-100', '2026-01-01'], ['bob', 'FUP-100', '2026-01-01'], ['carol', 'FUP-100', '2026-01-01'], ['dave', null, '2026-01-01'], ['erin', 'FUP-100', '2026-03-20']] as const) {
      const a = await subscribers.createAccount({ name: `Customer ${login}`, currency: 'EUR' }, 'user:1');
      ids[login] = (await subscribers.createService(a.id, { login, tariff, nasName: 'bras1', startDate }, 'user:1')).id;
    }
    await usage('alice', '2026-03-10T00:00:00Z', 30, 5n * GB); // 150 GB: over
    await usage('bob', '2026-03-10T00:00:00Z', 20, 5n * GB); // 100 GB: at the cap, not over
    await usage('carol', '2026-03-10T00:00:00Z', 100, 5n * GB); // over, but suspended by dunning
    await usage('dave', '2026-03-10T00:00:00Z', 100, 5n * GB); // no fair-use tariff
    await usage('alice', '2026-02-10T00:00:00Z', 100, 5n * GB); // last month does not count
    await usage('erin', '2026-03-19T23:00:00Z', 9, 6n * GB); // 54 GB: started today (Berlin), over its cap prorated to 12 of 31 days
    await plugin.services.enforcement.setDesired({ serviceIds: [ids.carol!], desired: 'suspended', cause: { kind: 'dunning', detail: 'overdue', actor: 'system:dunning' } });
    const s = plugin.services;
    job = new FairUseJob({ billing: s.subscribers.billing, tariffs: s.tariffs.port, usage: s.billingUsage, enforcement: s.enforcement.enforcement, clock, logger: plugin.ctx.logger, timezone: 'Europe/Berlin', cycle: 'calendar' });
  });
  after(async () => plugin?.close());

  const desired = async (login: string) => {
    const st = (await plugin.services.enforcement.stateOf([ids[login]!])).get(ids[login]!);
    return st ? [st.desired, st.rate, st.cause.kind] : ['active', null, null];
  };

  it('throttles only the service past its cap this period to the tariff rate, leaving a suspension alone', async () => {
    const r = await job.run();
    expect(r.throttled).to.deep.equal([ids.alice, ids.erin]);
    expect(r.restored).to.deep.equal([]);
    expect(await desired('alice')).to.deep.equal(['throttled', '2M/2M', 'fair_use']);
    expect(await desired('bob')).to.deep.equal(['active', null, null]);
    expect(await desired('carol')).to.deep.equal(['suspended', null, 'dunning']);
    expect(await desired('dave')).to.deep.equal(['active', null, null]);
  });

  it('changes nothing when it runs again in the same period', async () => {
    const before = (await plugin.services.enforcement.stateOf([ids.alice!])).get(ids.alice!)!.version;
    const r = await job.run();
    expect([r.throttled, r.restored]).to.deep.equal([[], []]);
    expect((await plugin.services.enforcement.stateOf([ids.alice!])).get(ids.alice!)!.version).to.equal(before);
  });

  it('makes the service active again at the next period', async () => {
    clock.set('2026-04-01T08:00:00Z'); // 10:00 in Berlin, April 1st
    const r = await job.run();
    expect(r.restored).to.deep.equal([ids.alice, ids.erin]);
    expect(await desired('alice')).to.deep.equal(['active', null, 'fair_use']);
    expect(await desired('carol')).to.deep.equal(['suspended', null, 'dunning']);
  });
});
