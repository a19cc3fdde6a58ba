import { expect } from 'chai';
import request from 'supertest';
import { forEachDatabase } from '../../../support/databases.js';
import { expectValidResponse } from '../../../support/openapi.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createService } from './fixtures.js';

forEachDatabase('usage API period bounds', (dialect) => {
  let plugin: TestPlugin;
  let auth: { Authorization: string };
  let accountId: number;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { timezone: 'Europe/Berlin', currency: 'EUR' } } });
    ({ accountId } = await createService(plugin.ctx, 'period-login'));
    const { token } = await plugin.ctx.services.auth.createApiToken({ name: 'reports', role: 'readonly' }, 'test');
    auth = { Authorization: `Bearer ${token}` };
  });
  after(async () => plugin?.close());

  it('answers a whole leap year, one entry per local day', async () => {
    const res = await request(plugin.app).get(`/api/v1/accounts/${accountId}/usage?from=2028-01-01&to=2029-01-01`).set(auth).expect(200);
    expectValidResponse(res);
    expect(res.body.days).to.have.length(366);
  });

  it('refuses a period of centuries with 422 naming `to`, instead of building a day for each', async () => {
    const res = await request(plugin.app).get(`/api/v1/accounts/${accountId}/usage?from=1000-01-01&to=9999-01-01`).set(auth).expect(422);
    expectValidResponse(res);
    expect(res.body.error.issues).to.deep.equal([{ field: 'to', message: 'must be at most 366 days after from' }]);
  });
});
