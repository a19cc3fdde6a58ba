import { expect } from 'chai';
import request from 'supertest';
import { AAA_AUTHORIZE_PATH, AAA_SECRET_HEADER } from '../../../../plugin/enforcement/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { serviceOn } from './helpers.js';

const SECRET = 'aaa-shared-secret-for-tests-0123';

/** The rlm_rest authorize endpoint at the HTTP level (the FreeRADIUS run is test/e2e/aaa). */
forEachDatabase('the AAA authorize endpoint', (dialect) => {
  let plugin: TestPlugin;
  let bob: number;
  const ask = (body: unknown, secret: string | null = SECRET) => {
    const r = request(plugin.app).post(AAA_AUTHORIZE_PATH).set('Content-Type', 'application/json');
    return (secret === null ? r : r.set(AAA_SECRET_HEADER, secret)).send(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const userName = (login: string) => ({ 'User-Name': { type: 'string', value: [login] }, 'User-Password': { type: 'string', value: ['pw'] } });

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { enforcement: { aaa: { secret: SECRET, suspendedAddressList: 'walled-garden' }, fairUse: { enabled: false } } } });
    await serviceOn(plugin, 'alice', 'bras1');
    bob = await serviceOn(plugin, 'bob', 'bras1');
    const ended = await serviceOn(plugin, 'dave', 'bras1');
    await plugin.services.subscribers.subscribers.endService(ended, { endDate: '2026-02-01' }, 'user:1');
  });
  after(async () => plugin?.close());

  it('answers 204 for an active login, the configured address list for a suspended one, 404 for an unknown or ended one', async () => {
    await ask(userName('alice')).expect(204);
    await plugin.services.enforcement.setDesired({ serviceIds: [bob], desired: 'suspended', cause: { kind: 'dunning', detail: 'overdue', actor: 'system:dunning' } });
    const res = await ask(userName('bob')).expect(200).expect('Content-Type', /application\/json/);
    expect(JSON.parse(res.text)).to.deep.equal({ 'reply:Mikrotik-Address-List': { op: ':=', value: 'walled-garden', do_xlat: false } });
    await ask(userName('mallory')).expect(404);
    await ask(userName('dave')).expect(404);
    await ask({ login: 'ali' }).expect(404); // no prefix matches
  });

  it('refuses a caller without the shared secret (401) and a malformed body (400), answering nothing', async () => {
    await ask(userName('bob'), null).expect(401);
    await ask(userName('bob'), 'wrong').expect(401);
    const res = await ask('{"User-Name":', SECRET).expect(400);
    expect(res.text).to.equal('');
  });

  it('answers 503 (rest: fail) when no secret is configured, so it is never open by accident', async () => {
    const open = await createTestPlugin(dialect, { config: { enforcement: { fairUse: { enabled: false } } } });
    try {
      await request(open.app).post(AAA_AUTHORIZE_PATH).send(userName('alice')).expect(503);
    } finally {
      await open.close();
    }
  });
});
