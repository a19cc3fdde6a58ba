import { expect } from 'chai';
import type { UsageAssignment } from '../../../../plugin/usage/assignment.js';
import { PruneService } from '../../../../plugin/usage/prune.service.js';
import { RollupService } from '../../../../plugin/usage/rollup.service.js';
import type { StoredObservation, UsageRepository } from '../../../../plugin/usage/usage.repository.js';
import { asDatabase, asDependency, createFakes } from '../../../support/fakes/index.js';

const at = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

function world() {
  const fakes = createFakes({ now: '2026-03-01T12:00:00Z' });
  const deps = { db: asDatabase(fakes.db), usage: asDependency<UsageRepository>(fakes.usage), clock: fakes.clock, logger: fakes.logger };
  const rollup = new RollupService({ ...deps, assignment: asDependency<UsageAssignment>(fakes.assignment) });
  const prune = new PruneService(deps);
  const seen = (atIso: string, download: bigint, over: Partial<StoredObservation> = {}) =>
    fakes.usage.addObservations([
      {
        sessionKey: 'k-alice-1', agentId: 1, source: 'radius', sourceName: 'bras-1', sessionId: 'S1', login: 'alice',
        sessionStartMs: at('2026-03-01T09:00:00Z'), atMs: at(atIso), download, upload: download / 10n, ended: false, synthetic: false, framedIp: null, ...over,
      },
    ]);
  const hourly = () => [...fakes.usage.state.hourly].sort((a, b) => a.hourMs - b.hourMs);
  const total = () => fakes.usage.state.hourly.reduce((s, r) => s + r.download, 0n);
  return { fakes, rollup, prune, seen, hourly, total };
}

describe('prune service (raw observation retention)', () => {
  it('deletes rolled-up observations older than the retention and leaves the hourly usage exactly as it was', async () => {
    const { fakes, rollup, prune, seen, hourly } = world();
    seen('2026-03-01T09:00:00Z', 0n);
    seen('2026-03-01T10:00:00Z', 3600n);
    seen('2026-03-01T11:00:00Z', 7200n);
    await rollup.rollupPending();
    const before = hourly();

    fakes.clock.set(new Date(at('2026-03-01T10:30:00Z') + 7 * DAY));
    const stats = await prune.prune(7);

    expect(stats).to.deep.equal({ sessions: 1, observations: 2 });
    expect(fakes.usage.state.observations.map((o) => o.atMs)).to.deep.equal([at('2026-03-01T11:00:00Z')]);
    expect(hourly()).to.deep.equal(before);
    await rollup.rebuildAll();
    expect(hourly()).to.deep.equal(before);
  });

  it('keeps observations the rollup has not folded in yet, however old', async () => {
    const { fakes, prune, seen } = world();
    seen('2026-03-01T09:00:00Z', 0n);
    seen('2026-03-01T10:00:00Z', 3600n);

    fakes.clock.set(new Date(at('2026-03-01T10:00:00Z') + 30 * DAY));
    const stats = await prune.prune(7);

    expect(stats).to.deep.equal({ sessions: 0, observations: 0 });
    expect(fakes.usage.state.observations).to.have.length(2);
  });

  it('counts a later observation of a pruned session from its last pruned counters, not from zero', async () => {
    const { fakes, rollup, prune, seen, total } = world();
    seen('2026-03-01T09:00:00Z', 0n);
    seen('2026-03-01T10:00:00Z', 3600n);
    await rollup.rollupPending();
    fakes.clock.set(new Date(at('2026-03-01T10:00:00Z') + 8 * DAY));
    await prune.prune(7);
    expect(fakes.usage.state.observations).to.deep.equal([]);

    seen('2026-03-01T11:00:00Z', 5000n);
    await rollup.rollupPending();

    expect(total()).to.equal(5000n);
  });
});
