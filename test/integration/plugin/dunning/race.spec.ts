import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { ModuleServices } from '../../../../plugin/context.js';
import { openDatabase, type Database } from '../../../../plugin/db/database.js';
import { buildContext, buildModuleServices } from '../../../../plugin/main.js';
import { mysqlAvailable } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { FRIDAY, overdueCustomer, payInFull } from './helpers.js';

const ROUNDS = Number(process.env.OCTET_DUNNING_RACE_ROUNDS ?? 60);

/**
 * A payment and a dunning evaluation racing on MariaDB, from two plugin instances (two connection
 * pools, as two processes would have): whichever order the database gives them, a customer who
 * paid is never left suspended.
 */
describe('a payment racing a dunning evaluation on mysql', function () {
  let a: TestPlugin;
  let db2: Database;
  let b: ModuleServices;

  before(async function () {
    if (!mysqlAvailable) return this.skip();
    a = await createTestPlugin('mysql', { clock: new ManualClock(FRIDAY), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    db2 = await openDatabase(a.url, nullLogger);
    b = buildModuleServices(buildContext(a.ctx.config, db2, nullLogger, a.clock));
  });
  after(async () => {
    await db2?.close();
    await a?.close();
  });

  it(`never ends with a payer suspended (${ROUNDS} rounds)`, async function () {
    this.timeout(ROUNDS * 5000);
    let suspendedThenRestored = 0;
    let paidFirst = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const c = await overdueCustomer(a, `race-${round}`);
      // Jitter both sides so that each order (and the overlap) happens over the rounds.
      const jitter = () => sleep(Math.floor(Math.random() * 25));
      await Promise.all([
        jitter().then(() => a.services.dunning.dunning.evaluate({ dryRun: false, actor: 'system:dunning' })),
        jitter().then(() => payInFull({ ...a, services: b }, c.accountId)),
      ]);
      const row = (await a.services.dunning.repo.get([c.accountId])).get(c.accountId);
      const state = (await a.services.enforcement.stateOf([c.serviceId])).get(c.serviceId);
      expect(row?.suspended ?? false, `round ${round}: dunning still holds the payer suspended`).to.equal(false);
      expect(state?.desired ?? 'active', `round ${round}: the payer's service is not active`).to.equal('active');
      if (state) suspendedThenRestored++;
      else paidFirst++;
    }
    // Both orders happened, so the rounds proved something about the race, not one lucky order.
    expect(suspendedThenRestored, 'rounds where the suspension came first').to.be.greaterThan(0);
    expect(paidFirst, 'rounds where the payment came first').to.be.greaterThan(0);
  });
});
