import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { enforcementConfigSchema } from '../../../../agent/enforcer/config.js';
import { createEnforcer } from '../../../../agent/enforcer/index.js';
import { routerConfigSchema } from '../../../../agent/poller/config.js';
import { connectRouter } from '../../../../agent/poller/poller.js';
import { startSimulator, type Simulator } from '../../../../agent/simulator/index.js';
import { ManualClock, systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { AGENT_API_PREFIX } from '../../../../plugin/common/wire.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { until } from '../../../support/enforcer/fake-plugin.js';
import { listen, serviceOn, statusReport } from '../../../integration/plugin/enforcement/helpers.js';
import { createAgent } from '../../../integration/plugin/usage/fixtures.js';

/** Debian's python3 (the one with python3-librouteros), as test/e2e/agent/routeros/librouteros.spec.ts. */
const PYTHON = '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));

type Entry = { list: string; address: string; comment: string };

function python(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [path.join(HERE, script), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`librouteros failed: ${err.message}\n${stderr}`));
      resolve(stdout);
    });
  });
}

/** The router's octet-suspended list as python3-librouteros reads it (an independent client). */
const readList = async (port: number): Promise<Entry[]> => JSON.parse(await python('read_address_list.py', ['127.0.0.1', String(port), 'octet', 'pw', 'octet-suspended'])) as Entry[];
/** A person removing Octet's entry at the router, with python3-librouteros. */
const removeByHand = async (port: number, comment: string): Promise<number> => Number((await python('remove_address_list_entry.py', ['127.0.0.1', String(port), 'octet', 'pw', 'octet-suspended', comment])).trim());

/**
 * The whole path with the real plugin (its agent API over HTTP, on each database), the agent's
 * enforcer and the RouterOS simulator: staff or dunning set a desired state in the plugin; the
 * router follows; the plugin records what was applied, with the version.
 */
forEachDatabase('enforcement from the plugin to the router, end to end', (dialect) => {
  let plugin: TestPlugin;
  let server: { base: string; close(): Promise<void> };
  let sim: Simulator;
  let dir: string;
  let running: Array<{ close(): Promise<void> }> = [];
  // Monday 2 March 2026, 11:00 in Berlin.
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const cause = (kind: 'dunning' | 'payment') => ({ kind, detail: kind === 'dunning' ? 'invoice 2026-0007 overdue' : 'paid in full', actor: `system:${kind}` });

  async function newSimulator(port = 0): Promise<Simulator> {
    const s = await startSimulator({ port, users: [{ name: 'octet', password: 'pw' }] });
    s.model.addSecret('alice', { password: 'x' });
    s.model.connect('alice', { address: '10.0.0.2' });
    return s;
  }

  function startEnforcer(token: string) {
    const e = createEnforcer({
      // 10 s: the shortest reconciliation schedule the agent accepts.
      config: enforcementConfigSchema.parse({ reconcileSeconds: 10, maxBackoffSeconds: 1, retryFailedSeconds: 1, devices: [{ name: 'bras1' }] }),
      plugin: { url: server.base, token, timeoutSeconds: 5 },
      routers: [routerConfigSchema.parse({ name: 'bras1', host: '127.0.0.1', port: sim.port, username: 'octet', password: 'pw', timeoutSeconds: 5 })],
      nases: [],
      stateDir: dir,
      connect: (r) => connectRouter(r, nullLogger),
      sessions: () => [],
      dictionaryFiles: [],
      clock: systemClock,
      logger: nullLogger,
    });
    running.push(e);
    return e.enforcer;
  }

  const entries = () => [...sim.model.addressList.values()].filter((e) => e.list === 'octet-suspended').map((e) => [e.list, e.address, e.comment]);

  async function appliedVersion(serviceId: number, version: number) {
    let state = (await plugin.services.enforcement.stateOf([serviceId])).get(serviceId)!;
    for (let i = 0; i < 200 && state.appliedVersion !== version; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = (await plugin.services.enforcement.stateOf([serviceId])).get(serviceId)!;
    }
    return state;
  }

  before(function () {
    try {
      execFileSync(PYTHON, ['-c', 'import librouteros'], { stdio: 'ignore' });
    } catch {
      throw new Error('python3-librouteros is not installed: apt-get install python3-librouteros');
    }
  });
  beforeEach(async () => {
    plugin = await createTestPlugin(dialect, {
      clock,
      config: {
        billing: { timezone: 'Europe/Berlin', currency: 'EUR', schedule: { enabled: false } },
        dunning: { reminders: [], graceDays: 0, suspendAfterDays: 1, minimumOverdue: {}, window: { weekdays: [1, 2, 3, 4, 5, 6, 7], fromHour: 0, toHour: 24, holidays: [] }, schedule: { enabled: false } },
        enforcement: { streamPollSeconds: 0.3, fairUse: { enabled: false } },
      } as never,
    });
    server = await listen(plugin.app);
    dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-e2e-'));
    sim = await newSimulator();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    await sim?.close();
    await server?.close();
    await plugin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a suspension set in the plugin becomes an address-list entry, a restore removes it, and the plugin records both as applied', async function () {
    this.timeout(60_000);
    const token = await createAgent(plugin.ctx, 'pop-north');
    await request(plugin.app).post(`${AGENT_API_PREFIX}/status`).set('Authorization', `Bearer ${token}`).send(statusReport(clock.now(), ['bras1'])).expect(204);
    const alice = await serviceOn(plugin, 'alice', 'bras1');
    const enforcer = startEnforcer(token);
    await enforcer.start();
    await until(() => enforcer.status().stream.up, 10_000, 'stream');
    const [suspended] = await plugin.services.enforcement.setDesired({ serviceIds: [alice], desired: 'suspended', cause: cause('dunning') });
    await until(() => sim.model.addressList.size === 1, 10_000, 'entry on the router');
    expect(entries()).to.deep.equal([['octet-suspended', '10.0.0.2', `octet:${alice}`]]);
    expect(await appliedVersion(alice, suspended!.version)).to.deep.include({ desired: 'suspended', applied: 'suspended', appliedVersion: suspended!.version, error: null });

    const [restored] = await plugin.services.enforcement.setDesired({ serviceIds: [alice], desired: 'active', cause: cause('payment') });
    await until(() => sim.model.addressList.size === 0, 10_000, 'entry removed');
    expect(await appliedVersion(alice, restored!.version)).to.deep.include({ desired: 'active', applied: 'active', appliedVersion: restored!.version, error: null });
  });

  it('an overdue account is suspended on the router, stays blocked through a router reset and a hand removal, and a payment over the API lifts the block within 5 s, as librouteros reads it', async function () {
    this.timeout(90_000);
    const token = await createAgent(plugin.ctx, 'pop-north');
    await request(plugin.app).post(`${AGENT_API_PREFIX}/status`).set('Authorization', `Bearer ${token}`).send(statusReport(clock.now(), ['bras1'])).expect(204);
    const subs = plugin.services.subscribers.subscribers;
    const account = await subs.createAccount({ name: 'Alice Liddell', currency: 'EUR' }, 'user:1');
    const alice = (await subs.createService(account.id, { login: 'alice', nasName: 'bras1', startDate: '2026-01-01' }, 'user:1')).id;
    // January's invoice, issued on 1 February and due on the 15th: 15 days overdue on 2 March.
    await plugin.ctx.db.sequelize.query(
      `INSERT INTO invoices (type, series, sequence, number, idempotency_key, account_id, period_key, period_from, period_to, status, currency, issued_at, issue_date, due_date, net_minor, tax_minor, total_minor, document, content_sha256, created_by, created_at, updated_at)
       VALUES ('invoice', 'invoice', 7, '2026-0007', 'e2e-2026-01', ?, '2026-01-01', ?, ?, 'issued', 'EUR', ?, '2026-02-01', '2026-02-15', 2500, 475, 2975, '{}', ?, 'e2e', ?, ?)`,
      { type: QueryTypes.INSERT, replacements: [account.id, new Date('2025-12-31T23:00:00Z'), new Date('2026-01-31T23:00:00Z'), new Date('2026-02-01T06:00:00Z'), '0'.repeat(64), clock.now(), clock.now()] },
    );
    const enforcer = startEnforcer(token);
    await enforcer.start();
    await until(() => enforcer.status().stream.up, 10_000, 'stream');
    const expected = [{ list: 'octet-suspended', address: '10.0.0.2', comment: `octet:${alice}` }];

    // Overdue → suspended: the dunning evaluation decides, the agent puts the entry.
    const evaluation = await plugin.services.dunning.dunning.evaluate({ dryRun: false, actor: 'e2e' });
    expect(evaluation.suspended).to.have.length(1);
    await until(() => entries().length === 1, 10_000, 'entry on the router');
    expect(await readList(sim.port)).to.deep.equal(expected);
    const state = (await plugin.services.enforcement.stateOf([alice])).get(alice)!;
    expect(await appliedVersion(alice, state.version)).to.deep.include({ desired: 'suspended', applied: 'suspended', error: null });

    // The router is reset and comes back on the same address without the entry: re-applied.
    const port = sim.port;
    await enforcer.settled();
    await sim.close();
    sim = await newSimulator(port);
    expect(entries()).to.deep.equal([]);
    await until(() => entries().length === 1, 15_000, 'entry re-applied after the reset');
    expect(await readList(sim.port)).to.deep.equal(expected);

    // Someone removes it at the router: the next reconciliation puts it back.
    await enforcer.settled();
    expect(await removeByHand(sim.port, `octet:${alice}`)).to.equal(1);
    await until(() => entries().length === 1, 15_000, 'entry back after the hand removal');
    expect(await readList(sim.port)).to.deep.equal(expected);

    // A payment of the overdue amount through the REST API: the entry is gone within 5 s.
    const api = (await plugin.ctx.services.auth.createApiToken({ name: 'crm', role: 'billing' }, 'test')).token;
    const res = await request(plugin.app)
      .post('/api/v1/payments')
      .set('Authorization', `Bearer ${api}`)
      .send({ accountId: account.id, amountMinor: '2975', currency: 'EUR', method: 'bank_transfer', reference: '2026-0007', receivedAt: clock.now().toISOString() })
      .expect(201);
    expect(res.body.payment).to.include({ accountId: account.id, amountMinor: '2975', allocatedMinor: '2975' });
    await until(() => entries().length === 0, 5_000, 'entry gone within 5 s of the payment');
    expect(await readList(sim.port)).to.deep.equal([]);
    const after = (await plugin.services.enforcement.stateOf([alice])).get(alice)!;
    expect(await appliedVersion(alice, after.version)).to.deep.include({ desired: 'active', applied: 'active', error: null });
  });
});
