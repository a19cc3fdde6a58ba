import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { NotFoundError } from '../../../../plugin/common/errors.js';
import { buildIngest, ingestModule } from '../../../../plugin/ingest/index.js';
import { usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn } from '../../../support/web.js';
import { batch, count, observation, postBatch } from '../usage/fixtures.js';

const TOKEN_ON_PAGE = /<code id="agent-token">([^<]+)<\/code>/;

forEachDatabase('agent token rotation', (dialect) => {
  let plugin: TestPlugin;
  let ingest: ReturnType<typeof buildIngest>;
  const clock = new ManualClock('2026-03-02T00:00:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock });
    ingest = buildIngest(plugin.ctx);
  });
  after(async () => plugin?.close());

  it('gives the old token 401 and the new one 200 on the agent API after a rotation', async () => {
    const { token: oldToken, info } = await ingest.agents.create('pop-rot-1', 'test');
    await postBatch(plugin.app, oldToken, batch([observation()])).expect(200);

    const rotated = await ingest.agents.rotate('pop-rot-1', 'test');

    expect(rotated.token).to.match(/^oct_agent_/).and.not.to.equal(oldToken);
    expect(rotated.info.id).to.equal(info.id);
    await postBatch(plugin.app, oldToken, batch([observation()])).expect(401);
    await postBatch(plugin.app, rotated.token, batch([observation()])).expect(200);
  });

  it('counts nothing twice when a batch is re-sent under the new token with the same record ids', async () => {
    const { token: oldToken } = await ingest.agents.create('pop-rot-2', 'test');
    const records = [observation({ login: 'rot2', sessionId: 'R1', downloadOctets: '1000' }), observation({ login: 'rot2', sessionId: 'R1', observedAt: '2026-03-01T10:05:00.000Z', downloadOctets: '2000' })];
    const first = await postBatch(plugin.app, oldToken, batch(records, 'batch-rot-2')).expect(200);
    expect(first.body).to.include({ accepted: 2, duplicateRecords: 0 });
    const stored = await count(plugin.ctx, 'usage_observations');

    const { token: newToken } = await ingest.agents.rotate('pop-rot-2', 'test');
    // The shipper re-sends what it had not seen acknowledged: same batch id, or the same records in a new batch.
    const sameBatch = await postBatch(plugin.app, newToken, batch(records, 'batch-rot-2')).expect(200);
    const newBatch = await postBatch(plugin.app, newToken, batch(records, 'batch-rot-2b')).expect(200);

    expect(sameBatch.body).to.include({ duplicateBatch: true, accepted: 0 });
    expect(newBatch.body).to.include({ duplicateBatch: false, accepted: 0, duplicateRecords: 2 });
    expect(await count(plugin.ctx, 'usage_observations')).to.equal(stored);
  });

  it('keeps the agent: same id, same name, new token prefix, and one row in the agents list', async () => {
    const { info } = await ingest.agents.create('pop-rot-3', 'test');
    const rotated = await ingest.agents.rotate('pop-rot-3', 'test');
    const listed = (await ingest.agents.list()).filter((a) => a.name === 'pop-rot-3');
    expect(listed.map((a) => [a.id, a.prefix, a.revokedAt])).to.deep.equal([[info.id, rotated.token.slice(0, 14), null]]);
  });

  it('audits a rotation with who did it and the token prefixes, never the token', async () => {
    const { info } = await ingest.agents.create('pop-rot-4', 'test');
    const { token } = await ingest.agents.rotate('pop-rot-4', 'cli');
    const entries = (await plugin.ctx.repos.audit.list({ entityType: 'agent', entityId: String(info.id) })).filter((e) => e.action === 'agent.rotate');
    expect(entries.map((e) => [e.actor, e.details])).to.deep.equal([
      ['cli', { name: 'pop-rot-4', oldPrefix: info.prefix, newPrefix: token.slice(0, 14), reactivated: false }],
    ]);
    expect(JSON.stringify(entries)).not.to.contain(token);
  });

  it('reactivates a revoked agent with a new token, its old token still refused', async () => {
    const { token: oldToken } = await ingest.agents.create('pop-rot-5', 'test');
    await ingest.agents.revoke('pop-rot-5', 'test');
    const { token, info } = await ingest.agents.rotate('pop-rot-5', 'test');
    expect(info.revokedAt).to.equal(null);
    await postBatch(plugin.app, token, batch([observation()])).expect(200);
    await postBatch(plugin.app, oldToken, batch([observation()])).expect(401);
  });

  it('refuses to rotate an agent that does not exist (404)', async () => {
    const err = await ingest.agents.rotate('no-such-agent', 'test').then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(NotFoundError);
  });

  describe('on the agents page', () => {
    it('rotates from the "Rotate token" button: shows the new token once, and the old one gets 401', async () => {
      const { token: oldToken } = await ingest.agents.create('pop-rot-page', 'test');
      const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin', 'rot-admin@isp.example'));
      const page = await admin.get('/agents').expect(200);
      expect(page.text).to.contain('action="/agents/pop-rot-page/rotate"').and.to.contain('Rotate token');

      const res = await admin.post('/agents/pop-rot-page/rotate').type('form').send({ _csrf: await csrfOf(admin, '/agents') }).expect(200);
      const newToken = TOKEN_ON_PAGE.exec(res.text)?.[1];

      expect(newToken).to.match(/^oct_agent_/).and.not.to.equal(oldToken);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect((await admin.get('/agents').expect(200)).text).not.to.contain(newToken!);
      await postBatch(plugin.app, oldToken, batch([observation()])).expect(401);
      await postBatch(plugin.app, newToken!, batch([observation()])).expect(200);
      const audit = await plugin.ctx.repos.audit.list({ entityType: 'agent' });
      expect(audit.find((a) => a.action === 'agent.rotate' && a.details?.name === 'pop-rot-page')?.actor).to.match(/^user:\d+$/);
    });

    it('refuses a rotation without the CSRF token, and the old token keeps working', async () => {
      const { token } = await ingest.agents.create('pop-rot-csrf', 'test');
      const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin', 'rot-admin2@isp.example'));
      await admin.post('/agents/pop-rot-csrf/rotate').type('form').send({}).expect(403);
      await postBatch(plugin.app, token, batch([observation()])).expect(200);
    });

    it('refuses a rotation by a non-admin, and the old token keeps working', async () => {
      const { token } = await ingest.agents.create('pop-rot-role', 'test');
      const billing = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'billing', 'rot-billing@isp.example'));
      await billing.post('/agents/pop-rot-role/rotate').type('form').send({ _csrf: await csrfOf(billing, '/') }).expect(403);
      await postBatch(plugin.app, token, batch([observation()])).expect(200);
    });
  });
});
