import { expect } from 'chai';
import type { Transaction } from 'sequelize';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { LeaseLostError, LeaseRepository } from '../../../../plugin/jobs/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { anotherInstance, sleep } from '../usage/instances.js';

forEachDatabase('job leases', (dialect) => {
  let plugin: TestPlugin;

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [], clock: new ManualClock('2026-03-02T00:00:00Z') });
  });
  after(async () => plugin?.close());

  it('gives a lease to one instance at a time until it expires or is released, whatever the instances\' clocks say', async () => {
    const b = await anotherInstance(plugin.ctx, plugin.url, new ManualClock('2030-01-01T00:00:00Z'));
    try {
      const leasesA = new LeaseRepository(plugin.ctx.db);
      const leasesB = new LeaseRepository(b.ctx.db);
      const a = await leasesA.acquire('test-job', 'instance-a', 60_000);
      expect(a).to.not.equal(null);
      expect(await leasesB.acquire('test-job', 'instance-b', 60_000)).to.equal(null);
      await leasesA.release(a!);
      const taken = await leasesB.acquire('test-job', 'instance-b', 60_000);
      expect(taken!.token > a!.token).to.equal(true);
    } finally {
      await b.close();
    }
  });

  it('refuses work under a lease that expired and was taken over (fencing token)', async () => {
    const leases = new LeaseRepository(plugin.ctx.db);
    const old = await leases.acquire('fenced', 'instance-a', 150);
    await sleep(300);
    const current = await leases.acquire('fenced', 'instance-b', 60_000);
    expect(current).to.not.equal(null);
    let wrote = false;
    const work = (lease: NonNullable<typeof old>) =>
      plugin.ctx.db.transaction(async (t: Transaction) => {
        await leases.prove(lease, t);
        wrote = true;
      });
    let error: unknown;
    await work(old!).catch((err) => (error = err));
    expect(error).to.be.instanceOf(LeaseLostError);
    expect(wrote).to.equal(false);
    await work(current!);
    expect(wrote).to.equal(true);
  });
});
