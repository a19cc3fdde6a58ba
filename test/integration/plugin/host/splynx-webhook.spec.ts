import { expect } from 'chai';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { splynxWebhookSignature } from '../../../../plugin/host/splynx/webhook.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { SplynxFake } from '../../../support/splynx-fake/server.js';

const SECRET = 'hook-secret-0123456789';

describe('the Splynx webhook endpoint (POST /hooks/splynx)', () => {
  let fake: SplynxFake;
  let plugin: TestPlugin;
  beforeEach(async () => {
    fake = new SplynxFake();
    await fake.start();
    plugin = await createTestPlugin('sqlite', {
      clock: new ManualClock('2026-03-02T09:00:00Z'),
      config: { billing: { currency: 'EUR' }, host: { kind: 'splynx', splynx: { url: fake.url, apiKey: fake.apiKey, apiSecret: fake.apiSecret, webhookSecret: SECRET, retries: 0 } } },
    });
  });
  afterEach(async () => {
    await plugin.close();
    await fake.stop();
  });
  const post = (body: string, signature: string | null, type = 'application/json') => {
    const r = request(plugin.app).post('/hooks/splynx').set('Content-Type', type);
    return (signature === null ? r : r.set('X-Splynx-Signature', signature)).send(body);
  };
  const accounts = async () => (await plugin.services.subscribers.subscribers.listAccounts({}, 100)).items.length;

  it('answers a signed ping with 200 and syncs nothing', async () => {
    const body = '{"type":"ping"}';
    await post(body, splynxWebhookSignature(body, SECRET)).expect(200);
    expect(fake.requests).to.have.length(0);
  });

  it('refuses an unsigned or wrongly signed event with 401 and syncs nothing', async () => {
    const body = '{"type":"event","data":{"model":"models\\\\admin\\\\customers\\\\Customer"}}';
    await post(body, null).expect(401);
    await post(body, splynxWebhookSignature(body, 'not-the-secret-0000')).expect(401);
    expect(fake.requests).to.have.length(0);
    expect(await accounts()).to.equal(0);
  });

  it('starts a sync at once for a signed event, form-encoded too', async () => {
    const body = 'type=event&data%5Bmodel%5D=customer';
    await post(body, splynxWebhookSignature(body, SECRET), 'application/x-www-form-urlencoded').expect(202);
    // Nothing else runs the sync here (the job is not started): wait for the one the event began.
    for (let i = 0; i < 200 && (await accounts()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await accounts()).to.equal(2);
  });
});
