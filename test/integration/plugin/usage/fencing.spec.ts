import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, usageModule } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';
import { anotherInstance, sleep } from './instances.js';

/** Two plugin instances on one database whose clocks disagree by ten minutes (more than a lease). */
forEachDatabase('usage rollup across plugin instances', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  const clockA = new ManualClock('2026-03-02T12:00:00Z');
  const clockB = new ManualClock('2026-03-02T12:10:00Z');

  beforeEach(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock: clockA });
    token = await createAgent(plugin.ctx);
  });
  afterEach(async () => plugin?.close());

  async function sendSessions(login: string, sessions: number): Promise<bigint> {
    const records: SessionObservation[] = [];
    for (let s = 0; s < sessions; s++) {
      for (const [min, down] of [[0, 0], [5, 1000], [10, 2500]] as const) {
        records.push(observation({ login, sessionId: `${login}-${s}`, observedAt: `2026-03-02T10:${String(min).padStart(2, '0')}:00Z`, downloadOctets: String(down), uploadOctets: '0' }));
      }
    }
    await postBatch(plugin.app, token, batch(records)).expect(200);
    return BigInt(sessions) * 2500n;
  }

  /** Makes the instance's rollup stall inside its first chunk's transaction, after its first read. */
  function stallFirstChunk(usage: ReturnType<typeof buildUsage>, ms: number): void {
    const repo = usage.usage;
    const original = repo.loadSessions.bind(repo);
    let stalled = false;
    repo.loadSessions = async (...args) => {
      const out = await original(...args);
      if (!stalled) {
        stalled = true;
        await sleep(ms);
      }
      return out;
    };
  }

  async function billed(serviceId: number): Promise<bigint> {
    const u = buildUsage(plugin.ctx);
    return (await u.queries.serviceUsage(serviceId, Date.parse('2026-03-02T00:00:00Z'), Date.parse('2026-03-03T00:00:00Z'))).download;
  }

  it('counts every observation once when an instance with a clock ahead starts the rollup while another is in a chunk', async () => {
    const { serviceId } = await createService(plugin.ctx, 'fence');
    const truth = await sendSessions('fence', 20);
    const b = await anotherInstance(plugin.ctx, plugin.url, clockB);
    try {
      const usageA = buildUsage(plugin.ctx);
      const usageB = buildUsage(b.ctx);
      stallFirstChunk(usageA, 600);
      const runA = usageA.jobs.run('rollup');
      await sleep(150);
      await usageB.jobs.run('rollup');
      await runA;
      await usageA.jobs.run('rollup');
      expect(await billed(serviceId)).to.equal(truth);
    } finally {
      await b.close();
    }
  });

  it('stops a run that stalled past its lease and was overtaken, before it writes anything', async () => {
    const { serviceId } = await createService(plugin.ctx, 'stall');
    const truth = await sendSessions('stall', 6);
    const b = await anotherInstance(plugin.ctx, plugin.url, clockB);
    try {
      const usageA = buildUsage(plugin.ctx);
      const usageB = buildUsage(b.ctx);
      // A's lease is short, and A stalls (a long GC pause, a frozen VM) before its first chunk.
      (usageA.jobs as unknown as { deps: { leaseTtlMs: number } }).deps.leaseTtlMs = 200;
      const deps = (usageA.rollup as unknown as { deps: { db: typeof plugin.ctx.db } }).deps;
      const db = deps.db;
      let stalled = false;
      deps.db = {
        ...db,
        transaction: async (fn) => {
          if (!stalled) {
            stalled = true;
            await sleep(500);
          }
          return db.transaction(fn);
        },
      };
      let lost = false;
      const rollupA = usageA.rollup;
      const original = rollupA.rollupPending.bind(rollupA);
      rollupA.rollupPending = async (options) => {
        try {
          return await original(options);
        } catch (err) {
          lost = (err as Error).name === 'LeaseLostError';
          throw err;
        }
      };
      const runA = usageA.jobs.run('rollup');
      await sleep(300);
      await usageB.jobs.run('rollup');
      await runA;
      expect(lost).to.equal(true);
      expect(await billed(serviceId)).to.equal(truth);
    } finally {
      await b.close();
    }
  });
});
