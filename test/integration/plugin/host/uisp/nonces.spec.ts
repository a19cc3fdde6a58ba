import { expect } from 'chai';
import { DbNonceStore } from '../../../../../plugin/host/uisp/index.js';
import { forEachDatabase } from '../../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../../support/plugin.js';

forEachDatabase('single use of UISP page assertions across instances', (dialect) => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await createTestPlugin(dialect);
  });
  after(async () => plugin?.close());

  const count = async () => {
    const [rows] = (await plugin.ctx.db.sequelize.query('SELECT COUNT(*) AS n FROM host_assertion_nonces')) as [Array<{ n: number | string }>, unknown];
    return Number(rows[0]!.n);
  };

  it('accepts a nonce once; a second instance presented the same nonce refuses it', async () => {
    const one = new DbNonceStore(plugin.ctx.db);
    const two = new DbNonceStore(plugin.ctx.db);
    expect(await one.claim('a'.repeat(32), 2000, 1000)).to.equal(true);
    expect(await one.claim('a'.repeat(32), 2000, 1001)).to.equal(false);
    expect(await two.claim('a'.repeat(32), 2000, 1002)).to.equal(false);
  });

  it('lets exactly one of many simultaneous claims of a nonce win', async () => {
    const stores = Array.from({ length: 6 }, () => new DbNonceStore(plugin.ctx.db));
    const results = await Promise.all(stores.map((s) => s.claim('b'.repeat(32), 2000, 1000)));
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it('deletes nonces whose assertions have expired', async () => {
    const store = new DbNonceStore(plugin.ctx.db);
    expect(await count()).to.be.greaterThan(0);
    // The first claim of a fresh store sweeps: every row above expired at 2000.
    expect(await store.claim('c'.repeat(32), 9000, 5000)).to.equal(true);
    expect(await count()).to.equal(1);
  });
});
