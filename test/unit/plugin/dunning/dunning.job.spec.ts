import { expect } from 'chai';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { DunningJob, everyMinutesRule } from '../../../../plugin/dunning/dunning.job.js';
import type { DunningService } from '../../../../plugin/dunning/dunning.service.js';
import type { Lease, LeaseRepository } from '../../../../plugin/jobs/index.js';

class FakeLeases implements Pick<LeaseRepository, 'acquire' | 'release'> {
  holder: string | null = null;
  released: Lease[] = [];
  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | null> {
    if (this.holder && this.holder !== holder) return null;
    this.holder = holder;
    return { name, holder, token: 1n, ttlMs };
  }
  async release(lease: Lease): Promise<void> {
    this.released.push(lease);
    this.holder = null;
  }
}

function fakeDunning() {
  const calls: Array<{ dryRun: boolean; actor: string; lease?: Lease }> = [];
  const service = { evaluate: async (o: { dryRun: boolean; actor: string; lease?: Lease }) => (calls.push(o), {} as never) } as Pick<DunningService, 'evaluate'> as DunningService;
  return { calls, service };
}

describe('the dunning job', () => {
  it('evaluates under the dunning lease and gives it back', async () => {
    const leases = new FakeLeases();
    const d = fakeDunning();
    const job = new DunningJob({ dunning: d.service, leases, logger: nullLogger, everyMinutes: 15, leaseTtlMs: 60_000, timezone: 'UTC' });
    await job.tick();
    expect(d.calls).to.have.length(1);
    expect(d.calls[0]).to.include({ dryRun: false, actor: 'system:dunning' });
    expect(d.calls[0]!.lease?.name).to.equal('dunning:evaluate');
    expect(leases.released).to.have.length(1);
  });

  it('skips the tick while another instance holds the lease', async () => {
    const leases = new FakeLeases();
    leases.holder = 'another-instance';
    const d = fakeDunning();
    await new DunningJob({ dunning: d.service, leases, logger: nullLogger, everyMinutes: 15, leaseTtlMs: 60_000, timezone: 'UTC' }).tick();
    expect(d.calls).to.deep.equal([]);
  });

  it('runs every N minutes (whole hours past 60)', () => {
    expect([everyMinutesRule(15), everyMinutesRule(1), everyMinutesRule(120)]).to.deep.equal(['*/15 * * * *', '*/1 * * * *', '0 */2 * * *']);
  });
});
