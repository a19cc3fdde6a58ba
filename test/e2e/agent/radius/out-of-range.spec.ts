import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { usageModule } from '../../../../plugin/usage/index.js';
import { startAgent, type RunningAgent } from '../../../../agent/main.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { createStaff, csrfOf, loggedIn } from '../../../support/web.js';
import { RADCLIENT, radclient } from './radclient.js';

const SECRET = 'testing123-nas';

/**
 * The plugin stores counters up to 2^63-1 (SQLite's integers are signed). A NAS can report up to
 * 2^64-1: the agent answers it (the record is durable in its spool) and ships it as reported, and
 * the plugin quarantines it with the reason, on the Agents page. Acknowledged, never lost.
 */
forEachDatabase('a RADIUS counter beyond 2^63-1, from radclient through the agent to the plugin', (dialect) => {
  let plugin: TestPlugin;
  let server: Server;
  let agent: RunningAgent;
  let dir: string;

  before(async function () {
    this.timeout(60_000);
    if (!existsSync(RADCLIENT)) throw new Error(`${RADCLIENT} is missing: apt-get install freeradius-utils`);
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: new ManualClock('2026-03-02T00:00:00Z') });
    server = await new Promise<Server>((resolve) => {
      const s = plugin.app.listen(0, '127.0.0.1', () => resolve(s));
    });
  });
  after(async () => {
    await agent?.stop();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers the NAS, ships the record, and shows it quarantined with its reason on the Agents page', async function () {
    this.timeout(60_000);
    const admin = await loggedIn(plugin.app, await createStaff(plugin.ctx, 'admin'));
    const created = await admin.post('/agents').type('form').send({ name: 'pop-big', _csrf: await csrfOf(admin, '/agents') }).expect(200);
    const token = /<code id="agent-token">([^<]+)<\/code>/.exec(created.text)![1]!;
    dir = mkdtempSync(join(tmpdir(), 'octet-out-of-range-'));
    agent = await startAgent(
      {
        plugin: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token, batchSize: 1000, timeoutSeconds: 10 },
        spool: { dir: join(dir, 'spool'), maxBytes: 64 * 1024 * 1024 },
        stateDir: join(dir, 'state'),
        radius: { host: '127.0.0.1', port: 0, duplicateWindowSeconds: 30, endedSessionMemoryHours: 48, clients: [{ name: 'bras1', address: '127.0.0.1', secret: SECRET, direction: 'rfc' }] },
        routers: [],
        http: { host: '127.0.0.1', port: 0 },
        log: { level: 'error', format: 'json' },
      },
      { logger: nullLogger },
    );
    const attrs = (session: string, gigawords: number) => [
      'Acct-Status-Type = Interim-Update',
      'User-Name = "alice"',
      `Acct-Session-Id = "${session}"`,
      'NAS-IP-Address = 127.0.0.1',
      'Event-Timestamp = 1772359200',
      'Acct-Session-Time = 600',
      'Acct-Output-Octets = 4294967295',
      `Acct-Output-Gigawords = ${gigawords}`,
      'Acct-Input-Octets = 10',
    ];
    // 2^64-1, the most RADIUS can say, and 2^63 + 2^32-1, just past the limit.
    expect((await radclient(agent.radiusPort!, SECRET, attrs('big-max', 4294967295))).answered).to.equal(true);
    expect((await radclient(agent.radiusPort!, SECRET, attrs('big-edge', 2147483648))).answered).to.equal(true);
    const deadline = Date.now() + 30_000;
    while (agent.spool.stats().depth > 0 || agent.spool.stats().lastSeq < 2) {
      if (Date.now() > deadline) throw new Error(`not shipped: ${JSON.stringify(agent.spool.stats())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await admin.get('/agents').expect(200);
    const rows = page.text.match(/downloadOctets: [^<]*/g) ?? [];
    expect(rows).to.have.length(2);
    for (const reason of rows) expect(reason).to.match(/at most 2\^63-1/);
  });
});
