import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { FRIDAY, overdueCustomer, TOTAL } from './helpers.js';

forEachDatabase('dunning REST API', (dialect) => {
  let plugin: TestPlugin;
  let token: string;

  before(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock(FRIDAY), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    token = (await plugin.ctx.services.auth.createApiToken({ name: 'bi', role: 'readonly' }, 'test')).token;
  });
  after(async () => plugin?.close());

  it('previews who would be suspended and why, as OpenAPI describes, changing nothing; 401 without a token', async () => {
    const c = await overdueCustomer(plugin, 'api');
    expect(expectValidResponse(await request(plugin.app).get('/api/v1/dunning/preview')).status).to.equal(401);
    const res = expectValidResponse(await request(plugin.app).get('/api/v1/dunning/preview').set('Authorization', `Bearer ${token}`));
    expect(res.status).to.equal(200);
    const d = (res.body as { decisions: Array<Record<string, unknown>> }).decisions.find((x) => x.accountId === c.accountId)!;
    expect(d).to.include({ suspend: true, restore: false, overdueMinor: TOTAL.toString(), currency: 'EUR', daysPastDue: 33 });
    expect(d.reasons).to.include(`overdue 33 days (${c.invoice.number}): suspend`);
    expect((await plugin.services.enforcement.stateOf([c.serviceId])).size).to.equal(0);
  });
});
