import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import request from 'supertest';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { parseDbUrl } from '../../../../plugin/db/database.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, observation, postBatch } from '../usage/fixtures.js';

/** Another process's writer (a CLI command): its own connection to the file, holding the write lock. */
async function holdWriteLock(url: string): Promise<{ release(): Promise<void> }> {
  const db = new sqlite3.Database(parseDbUrl(url).storage!);
  const run = (sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  await run('BEGIN IMMEDIATE');
  await run("INSERT INTO settings (key, value, updated_at) VALUES ('cli.write', 'x', '2026-03-02 00:00:00.000 +00:00')");
  return {
    release: async () => {
      await run('COMMIT');
      await new Promise<void>((resolve) => db.close(() => resolve()));
    },
  };
}

describe('SQLite under concurrent writers (the embedded default)', function () {
  this.timeout(60_000);
  let plugin: TestPlugin;
  let token: string;

  afterEach(async () => plugin?.close());

  async function start(busyTimeoutMs: number): Promise<void> {
    plugin = await createTestPlugin('sqlite', { clock: new ManualClock('2026-03-02T00:00:00Z'), config: { db: { url: 'replaced by the test database', busyTimeoutMs } } });
    token = await createAgent(plugin.ctx);
  }

  it('waits for a CLI command writing the same SQLite file instead of failing the agent\'s batch', async () => {
    await start(5000);
    const cli = await holdWriteLock(plugin.url);
    // Longer than the 1 s node-sqlite3 gives a connection by default, well within the busy timeout.
    setTimeout(() => void cli.release(), 2000);
    const res = await postBatch(plugin.app, token, batch([observation({ login: 'wanda' })]));
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.accepted).to.equal(1);
  });

  it('answers 503 with Retry-After, not 500, while another process holds the write lock past the busy timeout, and takes the retry', async () => {
    await start(200);
    const cli = await holdWriteLock(plugin.url);
    const body = batch([observation({ login: 'xena' })]);
    try {
      const res = await postBatch(plugin.app, token, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(503);
      expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
      expect(res.body.error.message).to.contain('busy');
    } finally {
      await cli.release();
    }
    const retried = await postBatch(plugin.app, token, body).expect(200);
    expect(retried.body).to.include({ duplicateBatch: false, accepted: 1 });
  });

  it('creates services for four parallel REST clients without a single 500', async () => {
    await start(5000);
    const { token: api } = await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test');
    const call = (path: string, body: object) => request(plugin.app).post(path).set('Authorization', `Bearer ${api}`).send(body);
    const statuses: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (client) => {
        for (let i = 0; i < 25; i++) {
          const account = await call('/api/v1/accounts', { name: `Client ${client} customer ${i}` });
          statuses.push(account.status);
          if (account.status !== 201) continue;
          statuses.push((await call(`/api/v1/accounts/${account.body.id}/services`, { login: `c${client}-u${i}` })).status);
        }
      }),
    );
    expect(statuses.filter((s) => s !== 201)).to.deep.equal([]);
    expect(statuses).to.have.length(200);
  });
});
