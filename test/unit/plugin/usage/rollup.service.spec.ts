import { expect } from 'chai';
import type { UsageAssignment } from '../../../../plugin/usage/assignment.js';
import { RollupService } from '../../../../plugin/usage/rollup.service.js';
import type { StoredObservation, UsageRepository } from '../../../../plugin/usage/usage.repository.js';
import { asDatabase, asDependency, createFakes } from '../../../support/fakes/index.js';

const at = (iso: string) => Date.parse(iso);

function world() {
  const fakes = createFakes({ now: '2026-03-01T12:00:00Z' });
  const rollup = new RollupService({
    db: asDatabase(fakes.db),
    usage: asDependency<UsageRepository>(fakes.usage),
    assignment: asDependency<UsageAssignment>(fakes.assignment),
    clock: fakes.clock,
    logger: fakes.logger,
  });
  const seen = (atIso: string, download: bigint, upload: bigint, over: Partial<StoredObservation> = {}) =>
    fakes.usage.addObservations([
      {
        sessionKey: 'k-alice-1', agentId: 1, source: 'radius', sourceName: 'bras-1', sessionId: 'S1', login: 'alice',
        sessionStartMs: at('2026-03-01T09:30:00Z'), atMs: at(atIso), download, upload, ended: false, synthetic: false, framedIp: null, ...over,
      },
    ]);
  const total = (login = 'alice') =>
    fakes.usage.state.hourly.filter((r) => r.login === login).reduce((s, r) => ({ download: s.download + r.download, upload: s.upload + r.upload }), { download: 0n, upload: 0n });
  return { fakes, rollup, seen, total };
}

describe('rollup service (observations to hourly usage)', () => {
  it("puts a session's bytes between two observations into its login's usage, within their time, with the service holding the login", async () => {
    const { fakes, rollup, seen, total } = world();
    fakes.assignment.owners.set('alice', 42);
    seen('2026-03-01T09:30:00Z', 0n, 0n);
    seen('2026-03-01T10:30:00Z', 3600n, 360n);

    await rollup.rollupPending();

    expect(total()).to.deep.equal({ download: 3600n, upload: 360n });
    const rows = fakes.usage.state.hourly;
    expect(rows.every((r) => r.hourMs >= at('2026-03-01T09:30:00Z') && r.hourMs < at('2026-03-01T10:30:00Z'))).to.equal(true);
    expect(new Set(rows.map((r) => r.serviceId))).to.deep.equal(new Set([42]));
    expect(fakes.usage.state.observations.every((o) => o.rolledUp)).to.equal(true);
  });

  it('adds nothing for an observation that repeats counters already seen, or comes late', async () => {
    const { rollup, seen, total } = world();
    seen('2026-03-01T09:30:00Z', 0n, 0n);
    seen('2026-03-01T10:30:00Z', 3600n, 360n);
    await rollup.rollupPending();
    const before = total();

    seen('2026-03-01T10:30:00Z', 3600n, 360n); // the same interim again
    seen('2026-03-01T10:00:00Z', 1800n, 180n); // one that was delayed
    await rollup.rollupPending();

    expect(total()).to.deep.equal(before);
  });

  it('counts a counter that went down as a new segment from zero, never as a negative delta', async () => {
    const { rollup, seen, total } = world();
    seen('2026-03-01T09:30:00Z', 0n, 0n);
    seen('2026-03-01T10:30:00Z', 3600n, 360n);
    seen('2026-03-01T11:30:00Z', 500n, 50n);

    await rollup.rollupPending();

    expect(total()).to.deep.equal({ download: 4100n, upload: 410n });
  });

  it('changes nothing when run again with nothing new, and opens no transaction for it', async () => {
    const { fakes, rollup, seen } = world();
    seen('2026-03-01T09:30:00Z', 0n, 0n);
    seen('2026-03-01T10:30:00Z', 3600n, 360n);
    await rollup.rollupPending();
    const rows = structuredClone(fakes.usage.state.hourly);
    const transactions = fakes.db.log.length;

    const stats = await rollup.rollupPending();

    expect(stats).to.deep.equal({ sessions: 0, observations: 0, chunks: 0 });
    expect(fakes.usage.state.hourly).to.deep.equal(rows);
    expect(fakes.db.log.length).to.equal(transactions);
  });

  it('writes nothing and leaves the observations pending when the lease was lost (the fence throws)', async () => {
    const { fakes, rollup, seen } = world();
    seen('2026-03-01T09:30:00Z', 0n, 0n);
    seen('2026-03-01T10:30:00Z', 3600n, 360n);

    const lost = new Error('lease lost');
    try {
      await rollup.rollupPending({ fence: async () => Promise.reject(lost) });
      expect.fail('rolled up without its lease');
    } catch (err) {
      expect(err).to.equal(lost);
    }

    expect(fakes.db.log.map((t) => t.outcome)).to.deep.equal(['rolled back']);
    expect(fakes.usage.state.hourly).to.deep.equal([]);
    expect(fakes.usage.state.sessions.size).to.equal(0);
    expect(fakes.usage.state.observations.some((o) => o.rolledUp)).to.equal(false);
  });

  it('gives the same hourly rows when rebuilt from all stored observations', async () => {
    const { fakes, rollup, seen } = world();
    seen('2026-03-01T09:30:00Z', 0n, 0n);
    seen('2026-03-01T10:30:00Z', 3600n, 360n);
    await rollup.rollupPending();
    seen('2026-03-01T11:15:00Z', 9000n, 900n);
    await rollup.rollupPending();
    const incremental = structuredClone(fakes.usage.state.hourly).sort((a, b) => a.hourMs - b.hourMs);

    await rollup.rebuildAll();

    expect([...fakes.usage.state.hourly].sort((a, b) => a.hourMs - b.hourMs)).to.deep.equal(incremental);
  });
});
