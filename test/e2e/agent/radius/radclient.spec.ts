import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { MIKROTIK_DICTIONARY, startAgent } from '../../../../agent/main.js';
import { createRadiusCodec } from '../../../../agent/radius/codec.js';
import { RadiusAccountingServer } from '../../../../agent/radius/server.js';
import { SessionBook } from '../../../../agent/radius/session-book.js';
import { Spool } from '../../../../agent/spool/spool.js';
import { FakePlugin } from '../../../unit/agent/shipper/fake-plugin.js';
import { RADCLIENT, radclient } from './radclient.js';

const SECRET = 'testing123-nas';

const session = (status: string, extra: string[] = []) => [
  `Acct-Status-Type = ${status}`,
  'User-Name = "alice"',
  'Acct-Session-Id = "81f00007"',
  'NAS-IP-Address = 127.0.0.1',
  'NAS-Identifier = "bras1"',
  'Framed-IP-Address = 100.64.0.7',
  'Calling-Station-Id = "AA:BB:CC:00:11:22"',
  'Event-Timestamp = 1772359200', // 2026-03-01T10:00:00Z
  ...extra,
];

describe('RADIUS accounting against FreeRADIUS radclient', function () {
  this.timeout(120_000);
  let dir: string;
  let spool: Spool;
  let server: RadiusAccountingServer;
  let book: SessionBook;
  let registry: Registry;
  let port: number;

  before(function () {
    if (!existsSync(RADCLIENT)) throw new Error(`${RADCLIENT} is missing: apt-get install freeradius-utils`);
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-radclient-'));
    registry = new Registry();
    spool = await Spool.open({ dir: join(dir, 'spool'), maxBytes: 64 * 1024 * 1024, logger: nullLogger, clock: systemClock });
    book = (await SessionBook.open({ stateDir: join(dir, 'state'), spool, logger: nullLogger })).book;
    server = new RadiusAccountingServer({
      host: '127.0.0.1',
      port: 0,
      clients: [{ name: 'bras1', address: '127.0.0.1', secret: SECRET }],
      sink: spool,
      sessions: book,
      codec: createRadiusCodec([MIKROTIK_DICTIONARY]),
      clock: systemClock,
      logger: nullLogger,
      registry,
    });
    port = (await server.start()).port;
  });

  afterEach(async () => {
    await server.stop();
    await book.stop();
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const recorded = async (): Promise<SessionObservation[]> => (await spool.readUnacked(1000)).map((e) => e.record);

  it('answers Start, Interim-Update with gigawords and Stop, and records exactly their totals', async () => {
    const start = await radclient(port, SECRET, session('Start'));
    const interim = await radclient(port, SECRET, session('Interim-Update', [
      'Acct-Session-Time = 600',
      'Acct-Input-Octets = 1000',
      'Acct-Input-Gigawords = 1',
      'Acct-Output-Octets = 123456',
      'Acct-Output-Gigawords = 3',
    ]));
    const stop = await radclient(port, SECRET, session('Stop', [
      'Acct-Session-Time = 1200',
      'Acct-Input-Octets = 2000',
      'Acct-Input-Gigawords = 1',
      'Acct-Output-Octets = 999',
      'Acct-Output-Gigawords = 4',
      'Acct-Terminate-Cause = User-Request',
      'Acct-Delay-Time = 5',
    ]));
    expect([start.answered, interim.answered, stop.answered]).to.deep.equal([true, true, true]);
    const records = await recorded();
    expect(records.map((r) => [r.ended, r.downloadOctets, r.uploadOctets])).to.deep.equal([
      [false, '0', '0'],
      [false, String(3n * 2n ** 32n + 123456n), String(2n ** 32n + 1000n)],
      [true, String(4n * 2n ** 32n + 999n), String(2n ** 32n + 2000n)],
    ]);
    expect(records[2]).to.include({
      login: 'alice',
      sessionId: '81f00007',
      sourceName: 'bras1',
      observedAt: '2026-03-01T09:59:55.000Z',
      sessionStart: '2026-03-01T09:39:55.000Z',
      terminateCause: 'User-Request',
      framedIp: '100.64.0.7',
      callerId: 'AA:BB:CC:00:11:22',
    });
    expect(book.size).to.equal(0);
  });

  it('answers nothing and records nothing for a wrong secret', async () => {
    const res = await radclient(port, 'not-the-secret', session('Start'), { timeoutSeconds: 1, retries: 2 });
    expect(res.answered).to.equal(false);
    expect(await recorded()).to.deep.equal([]);
    const dropped = (await registry.getSingleMetric('octet_agent_radius_dropped_total')!.get()).values;
    expect(dropped.find((v) => v.labels.reason === 'bad-authenticator')?.value).to.equal(2);
  });

  it('records the same event sent twice under a new identifier once, and answers both', async () => {
    const res = await radclient(port, SECRET, session('Interim-Update', ['Acct-Output-Octets = 77']), { extra: ['-c', '2'] });
    expect(res.stdout.match(/Received Accounting-Response/g)).to.have.length(2);
    const records = await recorded();
    expect(records).to.have.length(1);
    expect(records[0]!.downloadOctets).to.equal('77');
  });

  it('records an identical retransmission (same identifier and authenticator) once, and answers it when the write completes', async () => {
    // Hold the first write until radclient, having had no answer, has sent the packet again.
    const duplicates = async () => (await registry.getSingleMetric('octet_agent_radius_retransmits_held_total')!.get()).values[0]?.value ?? 0;
    const append = spool.append.bind(spool);
    spool.append = async (records) => {
      while ((await duplicates()) < 1) await new Promise((r) => setTimeout(r, 20));
      await append(records);
    };
    const res = await radclient(port, SECRET, session('Interim-Update', ['Acct-Output-Octets = 88']), { timeoutSeconds: 1, retries: 5 });
    expect(res.answered).to.equal(true);
    expect(res.stdout.match(/Sent Accounting-Request Id (\d+)/g)!.length).to.be.at.least(2);
    expect(new Set(res.stdout.match(/Sent Accounting-Request Id (\d+)/g)).size).to.equal(1);
    expect((await recorded()).map((r) => r.downloadOctets)).to.deep.equal(['88']);
    // Both copies answered: radclient saw no timeout after the retransmission.
    expect(res.stdout.match(/Received Accounting-Response/g)!.length).to.be.at.least(1);
    expect(await duplicates()).to.equal(1);
  });

  it('closes the open sessions of a NAS that sends Accounting-On', async () => {
    await radclient(port, SECRET, session('Interim-Update', ['Acct-Output-Octets = 500']));
    const on = await radclient(port, SECRET, ['Acct-Status-Type = Accounting-On', 'NAS-IP-Address = 127.0.0.1']);
    expect(on.answered).to.equal(true);
    const records = await recorded();
    expect(records.map((r) => [r.sessionId, r.ended, r.downloadOctets, r.terminateCause])).to.deep.equal([
      ['81f00007', false, '500', undefined],
      ['81f00007', true, '500', 'Accounting-On'],
    ]);
  });
});

/** The whole agent with RADIUS on an ephemeral port for NAS bras1 (127.0.0.1), no routers. */
function startRadiusAgent(url: string, token: string, dir: string, duplicateWindowSeconds = 30) {
  return startAgent(
    {
      plugin: { url, token, batchSize: 1000, timeoutSeconds: 10 },
      spool: { dir: join(dir, 'spool'), maxBytes: 64 * 1024 * 1024 },
      stateDir: join(dir, 'state'),
      radius: { host: '127.0.0.1', port: 0, duplicateWindowSeconds, endedSessionMemoryHours: 48, clients: [{ name: 'bras1', address: '127.0.0.1', secret: SECRET, direction: 'rfc' }] },
      routers: [],
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'error', format: 'json' },
    },
    { logger: nullLogger },
  );
}

describe('the agent end to end: radclient to the plugin', function () {
  this.timeout(120_000);

  it('keeps a stopped session stopped when the NAS resends an old interim past the duplicate window, before and after a restart, so Accounting-On adds nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'octet-agent-e2e-'));
    const plugin = new FakePlugin();
    const url = await plugin.start();
    const interim = session('Interim-Update', ['Acct-Session-Time = 600', 'Acct-Output-Octets = 1000000000', 'Acct-Input-Octets = 100000000']);
    const stop = session('Stop', ['Acct-Session-Time = 1200', 'Acct-Output-Octets = 1200000000', 'Acct-Input-Octets = 120000000'])
      .map((a) => (a.startsWith('Event-Timestamp') ? 'Event-Timestamp = 1772359800' : a)); // 10:10:00Z
    let agent = await startRadiusAgent(url, plugin.token, dir, 1);
    try {
      for (const packet of [session('Start'), interim, stop]) expect((await radclient(agent.radiusPort!, SECRET, packet)).answered).to.equal(true);
      await new Promise((r) => setTimeout(r, 1500)); // past duplicateWindowSeconds
      expect((await radclient(agent.radiusPort!, SECRET, interim)).answered).to.equal(true);
      await agent.stop();
      agent = await startRadiusAgent(url, plugin.token, dir, 1);
      expect((await radclient(agent.radiusPort!, SECRET, interim)).answered).to.equal(true);
      const on = await radclient(agent.radiusPort!, SECRET, ['Acct-Status-Type = Accounting-On', 'NAS-IP-Address = 127.0.0.1']);
      expect(on.answered).to.equal(true);
      while (agent.spool.stats().depth > 0) await new Promise((r) => setTimeout(r, 20));
      const shipped = [...plugin.counted.values()].flatMap((b) => b.records);
      expect(shipped.map((r) => [r.ended, r.downloadOctets, r.uploadOctets])).to.deep.equal([
        [false, '0', '0'],
        [false, '1000000000', '100000000'],
        [true, '1200000000', '120000000'],
      ]);
    } finally {
      await agent.stop();
      await plugin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships what radclient sent to the plugin, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'octet-agent-e2e-'));
    const plugin = new FakePlugin();
    const url = await plugin.start();
    const agent = await startRadiusAgent(url, plugin.token, dir);
    try {
      for (const status of ['Start', 'Interim-Update', 'Stop']) {
        const res = await radclient(agent.radiusPort!, SECRET, session(status, ['Acct-Output-Octets = 4242']));
        expect(res.answered).to.equal(true);
      }
      while (agent.spool.stats().depth > 0) await new Promise((r) => setTimeout(r, 20));
      expect(plugin.countedRecords).to.equal(3);
      const shipped = [...plugin.counted.values()].flatMap((b) => b.records);
      expect(shipped.map((r) => r.ended)).to.deep.equal([false, false, true]);
      const health = (await (await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`)).json()) as { status: string; spool: { depthRecords: number } };
      expect(health).to.deep.include({ status: 'ok' });
      expect(health.spool.depthRecords).to.equal(0);
      const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
      expect(metrics).to.match(/octet_agent_radius_packets_total\{type="stop"\} 1/);
      expect(metrics).to.match(/octet_agent_spool_depth_records 0/);
    } finally {
      await agent.stop();
      await plugin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports itself degraded on /healthz while the plugin fails, keeping the records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'octet-agent-e2e-'));
    const plugin = new FakePlugin();
    plugin.script = Array.from({ length: 1000 }, () => '500' as const);
    const url = await plugin.start();
    const agent = await startRadiusAgent(url, plugin.token, dir);
    try {
      expect((await radclient(agent.radiusPort!, SECRET, session('Start'))).answered).to.equal(true);
      // Until the shipper has seen its first failure, the agent is still healthy.
      let res = await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`);
      while (res.status === 200) {
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 20));
        res = await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`);
      }
      const body = (await res.json()) as { status: string; problems: string[]; spool: { depthRecords: number } };
      expect(res.status).to.equal(503);
      expect(body.status).to.equal('degraded');
      expect(body.problems).to.deep.equal(['shipping: HTTP 500']);
      expect(body.spool.depthRecords).to.equal(1);
    } finally {
      await agent.stop();
      await plugin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
