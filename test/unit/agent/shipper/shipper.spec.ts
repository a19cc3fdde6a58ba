import { expect } from 'chai';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { backoffDelay } from '../../../../agent/shipper/backoff.js';
import { PluginClient } from '../../../../agent/shipper/plugin-client.js';
import { Shipper } from '../../../../agent/shipper/shipper.js';
import { Spool } from '../../../../agent/spool/spool.js';
import { FakePlugin } from './fake-plugin.js';

function obs(i: number): SessionObservation {
  return {
    recordId: `rec-${i}`,
    source: 'poll',
    sourceName: 'r1',
    login: 'alice',
    sessionId: `s${i}`,
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: String(i),
    uploadOctets: '0',
    ended: false,
  };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('shipper', () => {
  let dir: string;
  let plugin: FakePlugin;
  let spool: Spool;
  let shipper: Shipper | undefined;
  let delays: number[];
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-shipper-'));
    plugin = new FakePlugin();
    spool = await Spool.open({ dir, maxBytes: 64 * 1024 * 1024, logger: nullLogger, clock });
    delays = [];
  });
  afterEach(async () => {
    await shipper?.stop();
    shipper = undefined;
    await spool.close();
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function ship(url: string, over: { token?: string; batchSize?: number; timeoutMs?: number } = {}): Shipper {
    shipper = new Shipper({
      spool,
      client: new PluginClient({ url, token: over.token ?? plugin.token, timeoutMs: over.timeoutMs ?? 10_000 }),
      clock,
      logger: nullLogger,
      batchSize: over.batchSize ?? 1000,
      random: () => 0.5,
      // Records the backoff instead of waiting it out.
      sleep: async (ms) => {
        delays.push(ms);
        await new Promise((r) => setImmediate(r));
      },
      idlePollMs: 50,
    });
    shipper.start();
    return shipper;
  }

  it('ships spooled records in batches of at most the configured size and acknowledges the spool', async () => {
    for (let i = 0; i < 25; i++) await spool.append([obs(i)]);
    ship(await plugin.start(), { batchSize: 10 });
    await until(() => spool.stats().depth === 0);
    expect(plugin.requests.map((b) => b.records.length)).to.deep.equal([10, 10, 5]);
    expect(plugin.countedRecords).to.equal(25);
  });

  it('sends the agent token as a bearer token', async () => {
    await spool.append([obs(1)]);
    ship(await plugin.start());
    await until(() => plugin.counted.size === 1);
    expect(plugin.countedRecords).to.equal(1);
  });

  it('retries a failed batch with the same batch id and the same records, and acks only after the 200', async () => {
    await spool.append([obs(1), obs(2)]);
    plugin.script = ['500', '500'];
    const url = await plugin.start();
    let depthAtFailures: number[] = [];
    plugin.onBatch = () => (depthAtFailures = [...depthAtFailures, spool.stats().depth]);
    ship(url);
    await until(() => spool.stats().depth === 0);
    expect(plugin.requests).to.have.length(3);
    expect(new Set(plugin.requests.map((b) => b.batchId)).size).to.equal(1);
    expect(plugin.requests.map((b) => b.records.map((r) => r.recordId))).to.deep.equal([
      ['rec-1', 'rec-2'],
      ['rec-1', 'rec-2'],
      ['rec-1', 'rec-2'],
    ]);
    expect(depthAtFailures.slice(0, 2)).to.deep.equal([2, 2]);
  });

  it('backs off exponentially with jitter between failures', async () => {
    await spool.append([obs(1)]);
    plugin.script = ['500', '500', '500', '500'];
    ship(await plugin.start());
    await until(() => spool.stats().depth === 0);
    expect(delays.slice(0, 4)).to.deep.equal([750, 1500, 3000, 6000]);
    expect(backoffDelay(40, { initialMs: 1000, maxMs: 60_000 }, () => 1)).to.equal(60_000);
    expect(backoffDelay(0, { initialMs: 1000, maxMs: 60_000 }, () => 0)).to.equal(500);
  });

  it('keeps the records while the token is refused (401)', async () => {
    await spool.append([obs(1)]);
    ship(await plugin.start(), { token: 'wrong-token-0123456789' });
    await until(() => delays.length >= 3);
    expect(spool.stats().depth).to.equal(1);
    expect(shipper!.status().lastError).to.match(/unauthorized/);
  });

  it('keeps the records while the plugin cannot be reached (connection refused)', async () => {
    await spool.append([obs(1)]);
    ship(`http://127.0.0.1:${await closedPort()}`);
    await until(() => delays.length >= 3);
    expect(spool.stats().depth).to.equal(1);
    expect(shipper!.status().lastError).to.equal('ECONNREFUSED');
  });

  it('retries a batch whose request timed out, with the same batch id', async () => {
    await spool.append([obs(1)]);
    plugin.script = ['hang'];
    ship(await plugin.start(), { timeoutMs: 300 });
    await until(() => spool.stats().depth === 0);
    expect(plugin.requests).to.have.length(2);
    expect(plugin.requests[1]!.batchId).to.equal(plugin.requests[0]!.batchId);
  });

  it('does not acknowledge on a 200 that is not a BatchAck', async () => {
    await spool.append([obs(1)]);
    plugin.script = ['garbage'];
    ship(await plugin.start());
    await until(() => spool.stats().depth === 0);
    expect(plugin.requests).to.have.length(2);
  });

  it('splits a batch the plugin finds too large (413)', async () => {
    for (let i = 0; i < 8; i++) await spool.append([obs(i)]);
    plugin.script = ['413'];
    ship(await plugin.start());
    await until(() => spool.stats().depth === 0);
    expect(plugin.requests.map((b) => b.records.length)).to.deep.equal([8, 4, 4]);
    expect(plugin.countedRecords).to.equal(8);
  });

  it('counts a batch once when the 200 was lost and the batch was sent again', async () => {
    await spool.append([obs(1), obs(2)]);
    plugin.script = ['lost-answer'];
    ship(await plugin.start(), { timeoutMs: 300 });
    await until(() => spool.stats().depth === 0);
    expect(plugin.requests.map((r) => r.batchId)).to.deep.equal([plugin.requests[0]!.batchId, plugin.requests[0]!.batchId]);
    expect(plugin.acks.map((a) => [a.duplicateBatch, a.accepted])).to.deep.equal([[false, 2], [true, 0]]);
    expect(plugin.countedRecords).to.equal(2);
  });

  it('absorbs a long outage and drains everything afterwards', async () => {
    plugin.script = Array.from({ length: 30 }, () => '500' as const);
    const url = await plugin.start();
    ship(url, { batchSize: 100 });
    for (let i = 0; i < 1000; i++) await spool.append([obs(i)]);
    await until(() => spool.stats().depth === 0);
    expect(plugin.countedRecords).to.equal(1000);
    expect(delays.length).to.be.at.least(30);
  });

  it('posts the newest inventory snapshot per router and retries it', async () => {
    plugin.inventoryScript = ['500'];
    ship(await plugin.start());
    shipper!.publish({ routerName: 'r1', takenAt: '2026-03-01T10:00:00Z', entries: [] });
    shipper!.publish({ routerName: 'r1', takenAt: '2026-03-01T10:05:00Z', entries: [{ kind: 'ppp', name: 'alice', disabled: false }] });
    await until(() => plugin.inventory.length === 1 && shipper!.status().inventoryPending === 0);
    expect(plugin.inventory[0]!.takenAt).to.equal('2026-03-01T10:05:00Z');
  });
});
