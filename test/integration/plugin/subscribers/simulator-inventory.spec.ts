import { expect } from 'chai';
import request from 'supertest';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { collectInventory } from '../../../../agent/poller/index.js';
import { RouterOsClient } from '../../../../agent/routeros/client.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { AGENT_API_PREFIX } from '../../../../plugin/common/wire.js';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import { buildIngest } from '../../../../plugin/ingest/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

/**
 * The RouterOS simulator's PPP secrets and hotspot users, read over the RouterOS API by the
 * agent's inventory collector and sent through the agent API, appear as unclaimed logins.
 */
forEachDatabase('router inventory from the RouterOS simulator', (dialect) => {
  let plugin: TestPlugin;
  let sim: Simulator;
  let client: RouterOsClient;

  before(async () => {
    plugin = await createTestPlugin(dialect);
    sim = await startSimulator({ host: '127.0.0.1', port: 0, users: [{ name: 'api', password: 'secret' }] });
    sim.model.addSecret('pppoe-anna', { profile: '100M', comment: 'Anna Berg, Lindenweg 3' });
    sim.model.addSecret('pppoe-ben', { profile: '50M', disabled: true });
    sim.model.addHotspotUser('cafe-guest', { profile: 'hour' });
    client = await RouterOsClient.connect({ host: sim.host, port: sim.port, username: 'api', password: 'secret' });
  });

  after(async () => {
    client?.destroy();
    await sim?.close();
    await plugin?.close();
  });

  it('lists every secret and hotspot user the router has as unclaimed, until a service claims one', async () => {
    const router = routerConfigSchema.parse({ name: 'bras-west', host: sim.host, port: sim.port, username: 'api', password: 'secret', collect: { hotspot: true } });
    const entries = await collectInventory(client, router, 10_000);
    const { token } = await buildIngest(plugin.ctx).agents.create('pop-west', 'test');
    await request(plugin.app)
      .post(`${AGENT_API_PREFIX}/inventory`)
      .set('Authorization', `Bearer ${token}`)
      .send({ routerName: 'bras-west', takenAt: plugin.clock.now().toISOString(), entries })
      .expect(204);

    const { unclaimed, subscribers } = buildSubscribers(plugin.ctx);
    const list = await unclaimed.list();
    expect(list.map((u) => [u.login, u.sightings.map((s) => `${s.routerName}/${s.kind}/${s.profile}/${s.disabled ? 'disabled' : 'enabled'}`)])).to.deep.equal([
      ['cafe-guest', ['bras-west/hotspot/hour/enabled']],
      ['pppoe-anna', ['bras-west/ppp/100M/enabled']],
      ['pppoe-ben', ['bras-west/ppp/50M/disabled']],
    ]);

    const [anna] = await unclaimed.claim(['pppoe-anna'], 'user:1');
    expect(anna!.account.name).to.equal('Anna Berg, Lindenweg 3');
    expect(anna!.service).to.include({ nasName: 'bras-west', tariff: '100M' });
    expect((await unclaimed.list()).map((u) => u.login)).to.deep.equal(['cafe-guest', 'pppoe-ben']);
    expect((await subscribers.listServices({ nasName: 'bras-west' }, 10)).items.map((s) => s.login)).to.deep.equal(['pppoe-anna']);
  });
});
