import { expect } from 'chai';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { usageConfigSchema } from '../../../../plugin/usage/config.js';
import { UsageJobs } from '../../../../plugin/usage/jobs.js';
import type { LeaseRepository } from '../../../../plugin/jobs/index.js';
import type { PruneService } from '../../../../plugin/usage/prune.service.js';
import type { RollupService } from '../../../../plugin/usage/rollup.service.js';

function fakes(leaseFree = true, config = usageConfigSchema.parse({})) {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const rollup = {
    rollupPending: async () => {
      calls.push('rollup');
      await new Promise<void>((r) => (release = r));
      return { sessions: 0, observations: 0, chunks: 0 };
    },
    assignPending: async () => 0,
  } as unknown as RollupService;
  const prune = { prune: async () => (calls.push('prune'), { sessions: 0, observations: 0 }) } as unknown as PruneService;
  const leases = {
    acquire: async () => (calls.push('lease'), leaseFree ? { name: 'usage-rollup', holder: 'h', token: 1n, ttlMs: 1000 } : null),
    prove: async () => undefined,
    release: async () => void calls.push('release'),
  } as unknown as LeaseRepository;
  const jobs = new UsageJobs({ rollup, prune, leases, logger: nullLogger, config });
  return { jobs, calls, finish: () => release() };
}

describe('usage jobs', () => {
  it('never runs two rollups at once in one instance', async () => {
    const { jobs, calls, finish } = fakes();
    const a = jobs.run('rollup');
    const b = jobs.run('rollup');
    await new Promise((r) => setImmediate(r));
    finish();
    await Promise.all([a, b]);
    expect(calls.filter((c) => c === 'rollup')).to.have.length(1);
    expect(calls.at(-1)).to.equal('release');
  });

  it('does nothing while another instance holds the lease', async () => {
    const { jobs, calls } = fakes(false);
    await jobs.run('rollup');
    expect(calls).to.deep.equal(['lease']);
  });

  it('runs a prune asked for during a rollup right after it, rolling up first', async () => {
    const { jobs, calls, finish } = fakes();
    const a = jobs.run('rollup');
    const b = jobs.run('prune');
    await new Promise((r) => setImmediate(r));
    finish();
    await a;
    await new Promise((r) => setImmediate(r));
    finish();
    await b;
    expect(calls.filter((c) => c !== 'lease' && c !== 'release')).to.deep.equal(['rollup', 'rollup', 'prune']);
  });

  it('rolls up again right after a run during which a batch nudged, instead of leaving the batch to the next scheduled run', async () => {
    // The cron is far away, so only the nudge can bring the second rollup.
    const { jobs, calls, finish } = fakes(true, usageConfigSchema.parse({ rollupDelayMs: 0, rollupCron: '0 0 1 1 *' }));
    jobs.start();
    try {
      const first = jobs.run('rollup');
      jobs.nudge(); // a batch accepted while the run goes (after its last read, as far as it knows)
      await new Promise((r) => setTimeout(r, 20)); // the nudge's delay is over; the run still goes
      expect(calls.filter((c) => c === 'rollup')).to.have.length(1);
      finish();
      await first;
      await new Promise((r) => setTimeout(r, 20));
      expect(calls.filter((c) => c === 'rollup')).to.have.length(2);
      finish();
    } finally {
      await jobs.stop();
    }
    expect(calls.at(-1)).to.equal('release');
  });
});
