import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import { buildIngest } from '../../../../plugin/ingest/index.js';
import { buildUsage } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const GiB5 = 5n * 1024n ** 3n; // past 2^32: gigawords territory

function obs(login: string, sessionId: string, observedAt: string, down: bigint, up: bigint, ended = false): SessionObservation {
  return {
    recordId: randomUUID(),
    source: 'radius',
    sourceName: 'nas-1',
    login,
    sessionId,
    sessionStart: null,
    observedAt,
    downloadOctets: String(down),
    uploadOctets: String(up),
    ended,
  };
}

forEachDatabase('unclaimed logins from router inventory and unassigned usage', (dialect) => {
  let plugin: TestPlugin;
  let parts: ReturnType<typeof buildSubscribers>;
  let usage: ReturnType<typeof buildUsage>;

  /** usage_hourly per login: service and exact byte sums. */
  async function hourly(login: string): Promise<{ services: Array<number | null>; download: bigint; upload: bigint }> {
    const rows = await plugin.ctx.db.sequelize.query<{ s: number | null; d: string; u: string }>(
      'SELECT service_id AS s, CAST(download AS CHAR) AS d, CAST(upload AS CHAR) AS u FROM usage_hourly WHERE login = ? ORDER BY hour_start',
      { replacements: [login], type: 'SELECT' as never },
    );
    return {
      services: [...new Set(rows.map((r) => (r.s === null ? null : Number(r.s))))],
      download: rows.reduce((a, r) => a + BigInt(r.d), 0n),
      upload: rows.reduce((a, r) => a + BigInt(r.u), 0n),
    };
  }

  beforeEach(async () => {
    plugin = await createTestPlugin(dialect, { clock: new ManualClock('2026-03-03T12:00:00Z'), config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    parts = buildSubscribers(plugin.ctx);
    usage = buildUsage(plugin.ctx);
    const { info: agent } = await buildIngest(plugin.ctx).agents.create('pop-north', 'test');
    // bob already has a service; alice and guest1 are only on the router; carol only in accounting.
    const bobAccount = await parts.subscribers.createAccount({ name: 'Bob Builder' }, 'test');
    await parts.subscribers.createService(bobAccount.id, { login: 'bob', startDate: '2026-01-01' }, 'test');
    await buildIngest(plugin.ctx).inventory.store(agent, {
      routerName: 'router-a',
      takenAt: '2026-03-03T11:00:00Z',
      entries: [
        { kind: 'ppp', name: 'alice', profile: 'home-100', disabled: false, comment: 'Alice Example, Elm St 4' },
        { kind: 'ppp', name: 'bob', profile: 'home-100', disabled: false },
        { kind: 'hotspot', name: 'guest1', profile: 'default', disabled: true },
      ],
    });
    await buildIngest(plugin.ctx).ingest.ingestBatch(agent, {
      batchId: randomUUID(),
      sentAt: '2026-03-03T11:00:00Z',
      records: [
        // Sessions spanning 23:00 UTC on March 1st: hours on two local (Berlin) dates.
        obs('alice', 'A1', '2026-03-01T22:10:00Z', 0n, 0n),
        obs('alice', 'A1', '2026-03-01T23:50:00Z', GiB5 + 123n, 456_789n),
        obs('alice', 'A1', '2026-03-02T01:30:00Z', GiB5 + 1_000_123n, 1_456_789n, true),
        obs('carol', 'C1', '2026-03-02T08:00:00Z', 0n, 0n),
        obs('carol', 'C1', '2026-03-02T09:30:00Z', 777_777n, 55_555n, true),
        obs('bob', 'B1', '2026-03-02T08:00:00Z', 0n, 0n),
        obs('bob', 'B1', '2026-03-02T08:30:00Z', 1000n, 2000n, true),
      ],
    });
    await usage.rollup.rollupPending();
  });
  afterEach(async () => plugin?.close());

  it('lists logins seen on the router or in accounting that no live service claims', async () => {
    const list = await parts.unclaimed.list();
    expect(list.map((u) => u.login)).to.deep.equal(['alice', 'carol', 'guest1']);
    const [alice, carol, guest] = list;
    expect(alice!.sightings).to.deep.equal([{ login: 'alice', routerName: 'router-a', kind: 'ppp', profile: 'home-100', disabled: false, comment: 'Alice Example, Elm St 4' }]);
    expect(alice!.usage).to.include({ download: GiB5 + 1_000_123n, upload: 1_456_789n });
    expect(carol!.sightings).to.deep.equal([]);
    expect(carol!.usage).to.include({ download: 777_777n, upload: 55_555n });
    expect(guest!.sightings[0]).to.include({ kind: 'hotspot', disabled: true });
    expect(guest!.usage).to.equal(null);
  });

  it('creates accounts and services from chosen logins and moves their unassigned usage onto them, to the byte', async () => {
    const before = { alice: await hourly('alice'), carol: await hourly('carol') };
    expect(before.alice.services).to.deep.equal([null]);
    const results = await parts.unclaimed.claim(['alice', 'carol'], 'user:1');
    const byLogin = new Map(results.map((r) => [r.login, r]));
    const alice = byLogin.get('alice')!;
    expect(alice.account).to.include({ name: 'Alice Example, Elm St 4', currency: 'EUR', status: 'active' });
    // Berlin date of the first unassigned hour (22:00 UTC on March 1st is 23:00 local).
    expect(alice.service).to.include({ login: 'alice', nasName: 'router-a', tariff: 'home-100', startDate: '2026-03-01', status: 'active' });
    expect(byLogin.get('carol')!.account.name).to.equal('carol');
    expect(byLogin.get('carol')!.service).to.include({ nasName: null, tariff: null, startDate: '2026-03-02' });

    const after = { alice: await hourly('alice'), carol: await hourly('carol') };
    expect(after.alice).to.deep.equal({ services: [alice.service.id], download: before.alice.download, upload: before.alice.upload });
    expect(after.carol).to.deep.equal({ services: [byLogin.get('carol')!.service.id], download: 777_777n, upload: 55_555n });
    expect((await parts.unclaimed.list()).map((u) => u.login)).to.deep.equal(['guest1']);
    const audit = await plugin.ctx.repos.audit.list({ entityType: 'service', entityId: String(alice.service.id) });
    expect(audit[0]!.actor).to.equal('user:1');
    expect(audit[0]!.details).to.include({ login: 'alice' });
    expect(Number(audit[0]!.details!.adoptedUsageRows)).to.be.greaterThan(0);
  });

  it('creates nothing when one of the chosen logins is not unclaimed, and names it', async () => {
    const accounts = await plugin.ctx.models.Account.count();
    let error: Error | null = null;
    try {
      await parts.unclaimed.claim(['guest1', 'bob'], 'user:1');
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.equal('not unclaimed (unknown, or a live service has it now): bob');
    expect(await plugin.ctx.models.Account.count()).to.equal(accounts);
  });

  it('moves unassigned usage onto a service created through the API as well', async () => {
    const account = await parts.subscribers.createAccount({ name: 'Carol by hand' }, 'test');
    const service = await parts.subscribers.createService(account.id, { login: 'carol', startDate: '2026-03-01' }, 'test');
    expect(await hourly('carol')).to.deep.equal({ services: [service.id], download: 777_777n, upload: 55_555n });
  });

  it('moves unassigned usage onto a service whose login is changed to it', async () => {
    const account = await parts.subscribers.createAccount({ name: 'Renamed login' }, 'test');
    const service = await parts.subscribers.createService(account.id, { login: 'typo-carol', startDate: '2026-03-01' }, 'test');
    await parts.subscribers.updateService(service.id, { login: 'carol' }, 'test');
    expect(await hourly('carol')).to.deep.equal({ services: [service.id], download: 777_777n, upload: 55_555n });
  });

  it('lists a login again once its service has ended', async () => {
    const bob = (await parts.subscribers.listServices({ login: 'bob' }, 10)).items[0]!;
    await parts.subscribers.endService(bob.id, { endDate: '2026-03-02' }, 'test');
    expect((await parts.unclaimed.list()).map((u) => u.login)).to.include('bob');
  });
});
