import { expect } from 'chai';
import { ManualClock } from '../../../../plugin/common/clock.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { ingestModule } from '../../../../plugin/ingest/index.js';
import { buildUsage, createBillingUsage, usageModule, type CompletenessProvider, type SourceCompleteness } from '../../../../plugin/usage/index.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';
import { batch, createAgent, createService, observation, postBatch } from './fixtures.js';

/** A typed fake of what the network module reports: how far each source is complete. */
class FakeCompleteness implements CompletenessProvider {
  list: SourceCompleteness[] = [];
  async sources(): Promise<SourceCompleteness[]> {
    return this.list.map((s) => ({ ...s }));
  }
}

forEachDatabase('the billing read port', (dialect) => {
  let plugin: TestPlugin;
  let token: string;
  let usage: ReturnType<typeof buildUsage>;
  const clock = new ManualClock('2026-04-02T00:00:00Z');
  const completeness = new FakeCompleteness();
  const night = [{ name: 'night', from: '00:00', to: '07:00' }];
  // March 2026 in Asia/Kolkata (+05:30): local midnights are at 18:30 UTC.
  const FROM = Date.parse('2026-02-28T18:30:00Z');
  const TO = Date.parse('2026-03-31T18:30:00Z');

  before(async () => {
    plugin = await createTestPlugin(dialect, { modules: [ingestModule, usageModule], clock, config: { billing: { timezone: 'Asia/Kolkata', currency: 'INR' } } });
    token = await createAgent(plugin.ctx);
    usage = buildUsage(plugin.ctx);
  });
  after(async () => plugin?.close());

  async function send(records: SessionObservation[]): Promise<void> {
    const res = await postBatch(plugin.app, token, batch(records)).expect(200);
    expect(res.body.rejected).to.deep.equal([]);
    await usage.rollup.rollupPending();
  }
  const o = (login: string, sid: string, iso: string, down: number, up: number) => observation({ login, sessionId: sid, observedAt: iso, downloadOctets: String(down), uploadOctets: String(up) });

  it('gives a service\'s bytes over a local month by direction and time band, cut at local midnight', async () => {
    const { serviceId } = await createService(plugin.ctx, 'banded', '2026-02-01');
    await send([
      // 23:45-00:15 local on 28 Feb / 1 Mar: half before the month, half in its night band.
      o('banded', 'B1', '2026-02-28T18:15:00Z', 0, 0), o('banded', 'B1', '2026-02-28T18:45:00Z', 1000, 100),
      // 12:00-12:30 local on 10 March: outside the band.
      o('banded', 'B2', '2026-03-10T06:30:00Z', 0, 0), o('banded', 'B2', '2026-03-10T07:00:00Z', 3000, 300),
    ]);
    const u = await createBillingUsage(plugin.ctx, completeness).billableUsage(serviceId, FROM, TO, { bands: night });
    expect([u.download, u.upload]).to.deep.equal([3500n, 350n]);
    expect(u.bands).to.deep.equal([
      { band: 'night', download: 500n, upload: 50n },
      { band: null, download: 3000n, upload: 300n },
    ]);
  });

  it('says how far each source is complete, and that a period is final only once every source is past its end', async () => {
    const port = createBillingUsage(plugin.ctx, completeness);
    completeness.list = [
      { agentName: 'pop-north', source: 'radius', sourceName: 'nas-1', completeThrough: new Date('2026-04-01T00:00:00Z') },
      { agentName: 'pop-north', source: 'poll', sourceName: 'core-1', completeThrough: new Date('2026-03-30T12:00:00Z') },
    ];
    const early = await port.completeness(TO);
    expect(early.completeThrough?.toISOString()).to.equal('2026-03-30T12:00:00.000Z');
    expect(early.final).to.equal(false);
    completeness.list[1]!.completeThrough = new Date('2026-04-01T06:00:00Z');
    expect((await port.completeness(TO)).final).to.equal(true);
    completeness.list.push({ agentName: 'pop-south', source: 'radius', sourceName: 'nas-9', completeThrough: null });
    expect((await port.completeness(TO)).completeThrough).to.equal(null);
    completeness.list.pop();
  });

  it('holds completeness back while observations wait for the rollup', async () => {
    const port = createBillingUsage(plugin.ctx, completeness);
    completeness.list = [{ agentName: 'pop-north', source: 'radius', sourceName: 'nas-1', completeThrough: new Date('2026-04-01T00:00:00Z') }];
    await postBatch(plugin.app, token, batch([o('waiting', 'W1', '2026-03-31T10:00:00Z', 5, 0)])).expect(200);
    const c = await port.completeness(TO);
    expect(c.final).to.equal(false);
    expect(c.completeThrough!.getTime()).to.be.lessThan(Date.parse('2026-03-31T10:00:00Z'));
    await usage.rollup.rollupPending();
    expect((await port.completeness(TO)).final).to.equal(true);
  });

  it('reports usage that arrives for a closed period as a dated late adjustment, once, and never changes what was billed', async () => {
    const port = createBillingUsage(plugin.ctx, completeness);
    const { serviceId } = await createService(plugin.ctx, 'closed', '2026-02-01');
    await send([o('closed', 'C1', '2026-03-05T06:30:00Z', 0, 0), o('closed', 'C1', '2026-03-05T07:00:00Z', 2000, 200)]);
    clock.set('2026-04-02T00:00:00Z');
    const period = await port.closePeriod(serviceId, FROM, TO, { bands: night, closedBy: 'billing run 7' });
    expect(period.billed).to.deep.equal([{ band: 'night', download: 0n, upload: 0n }, { band: null, download: 2000n, upload: 200n }]);
    expect(await port.lateAdjustments(serviceId, Date.parse('2026-04-01T00:00:00Z'))).to.deep.equal([]);
    // An agent that was offline delivers a night session of 20 March (01:00-01:30 local).
    clock.set('2026-04-05T09:00:00Z');
    await send([o('closed', 'C2', '2026-03-19T19:30:00Z', 0, 0), o('closed', 'C2', '2026-03-19T20:00:00Z', 700, 70)]);
    const adjustments = await port.lateAdjustments(serviceId, Date.parse('2026-04-01T00:00:00Z'));
    expect(adjustments.map((a) => [a.band, a.download, a.upload, a.detectedAt.toISOString(), a.period.fromMs, a.period.toMs])).to.deep.equal([
      ['night', 700n, 70n, '2026-04-05T09:00:00.000Z', FROM, TO],
    ]);
    clock.set('2026-04-06T09:00:00Z');
    expect(await port.lateAdjustments(serviceId, Date.parse('2026-04-01T00:00:00Z'))).to.have.length(1);
    const again = await port.closePeriod(serviceId, FROM, TO, { bands: night, closedBy: 'billing run 8' });
    expect([again.id, again.closedBy, again.billed]).to.deep.equal([period.id, 'billing run 7', period.billed]);
  });

  it('refuses a window off the 15-minute buckets, naming the field', async () => {
    const port = createBillingUsage(plugin.ctx, completeness);
    await port.billableUsage(1, FROM + 60_000, TO).then(
      () => expect.fail('accepted'),
      (err) => expect(err.issues).to.deep.equal([{ field: 'from', message: 'must be on a 15-minute boundary' }]),
    );
  });
});
