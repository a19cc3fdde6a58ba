import { expect } from 'chai';
import { UserError } from '../../../../plugin/common/errors.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import type { AgentInfo } from '../../../../plugin/ingest/index.js';
import type { IngestRepository } from '../../../../plugin/ingest/ingest.repository.js';
import { IngestService } from '../../../../plugin/ingest/ingest.service.js';
import { asDatabase, asDependency, createFakes } from '../../../support/fakes/index.js';

const agent: AgentInfo = { id: 3, name: 'pop-north', prefix: 'oct_agent_abcd', createdBy: 'cli', createdAt: new Date(0), lastSeenAt: null, revokedAt: null };

function record(over: Partial<SessionObservation> = {}): SessionObservation {
  return {
    recordId: 'r-1',
    source: 'radius',
    sourceName: 'bras-1',
    login: 'alice',
    sessionId: 'S1',
    sessionStart: null,
    observedAt: '2026-03-01T09:00:00.000Z',
    downloadOctets: '1000',
    uploadOctets: '100',
    ended: false,
    ...over,
  };
}

function world() {
  const fakes = createFakes({ now: '2026-03-01T10:00:00Z' });
  const service = new IngestService({
    db: asDatabase(fakes.db),
    ingest: asDependency<IngestRepository>(fakes.ingest),
    clock: fakes.clock,
    logger: fakes.logger,
    options: { futureToleranceMs: 5 * 60_000 },
  });
  const batch = (batchId: string, records: unknown[]) => service.ingestBatch(agent, { batchId, sentAt: '2026-03-01T09:59:00.000Z', records });
  return { fakes, batch };
}

describe('ingest service (agent batches)', () => {
  it('acknowledges a batch the agent sends again as a duplicate and stores nothing more', async () => {
    const { fakes, batch } = world();
    const first = await batch('b-1', [record({ recordId: 'r-1' }), record({ recordId: 'r-2', observedAt: '2026-03-01T09:05:00.000Z' })]);
    const again = await batch('b-1', [record({ recordId: 'r-1' }), record({ recordId: 'r-2', observedAt: '2026-03-01T09:05:00.000Z' })]);

    expect(first).to.deep.include({ duplicateBatch: false, accepted: 2, duplicateRecords: 0 });
    expect(again).to.deep.equal({ batchId: 'b-1', duplicateBatch: true, accepted: 0, duplicateRecords: 0, rejected: [] });
    expect(fakes.ingest.state.observations.map((o) => o.recordId)).to.deep.equal(['r-1', 'r-2']);
  });

  it('counts a record re-sent in a new batch as a duplicate, not as new usage', async () => {
    const { fakes, batch } = world();
    await batch('b-1', [record({ recordId: 'r-1' })]);
    const ack = await batch('b-2', [record({ recordId: 'r-1' }), record({ recordId: 'r-3', observedAt: '2026-03-01T09:10:00.000Z' })]);

    expect(ack).to.deep.include({ accepted: 1, duplicateRecords: 1 });
    expect(fakes.ingest.state.observations.map((o) => o.recordId)).to.deep.equal(['r-1', 'r-3']);
    expect(fakes.ingest.state.batches.map((b) => b.counts)).to.deep.equal([
      { accepted: 1, duplicateRecords: 0, rejected: 0, reusedRecordIds: 0 },
      { accepted: 1, duplicateRecords: 1, rejected: 0, reusedRecordIds: 0 },
    ]);
  });

  it('quarantines a bad record with its reason and stores the good ones of the same batch, in one transaction', async () => {
    const { fakes, batch } = world();
    const ack = await batch('b-1', [record({ recordId: 'r-1' }), record({ recordId: 'r-bad', observedAt: '2026-03-02T10:00:00.000Z' })]);

    expect(ack.accepted).to.equal(1);
    expect(ack.rejected.map((r) => ({ recordId: r.recordId, index: r.index }))).to.deep.equal([{ recordId: 'r-bad', index: 1 }]);
    expect(fakes.ingest.state.quarantined).to.have.length(1);
    expect(fakes.ingest.state.quarantined[0]).to.deep.include({ batchId: 'b-1', recordIndex: 1, reason: ack.rejected[0]!.reason });
    expect(ack.rejected[0]!.reason).to.not.equal('');
    expect(fakes.db.log).to.deep.equal([{ id: 1, outcome: 'committed' }]);
    expect(fakes.ingest.state.observations.map((o) => o.transaction)).to.deep.equal([1]);
  });

  it('refuses a malformed batch as the agent\'s error, before any transaction', async () => {
    const { fakes, batch } = world();
    try {
      await batch('', [record()]);
      expect.fail('accepted a batch without an id');
    } catch (err) {
      expect(err).to.be.instanceOf(UserError);
      expect((err as Error).message).to.contain('batchId');
    }
    expect(fakes.db.log).to.deep.equal([]);
  });

  it('keeps a record whose id another content already holds (an agent restored from a snapshot), under a derived id, and warns', async () => {
    const { fakes, batch } = world();
    await batch('b-1', [record({ recordId: 'r-1', downloadOctets: '1000' })]);
    const ack = await batch('b-2', [record({ recordId: 'r-1', downloadOctets: '5000', observedAt: '2026-03-01T09:30:00.000Z' })]);

    expect(ack).to.deep.include({ accepted: 1, duplicateRecords: 0 });
    const stored = fakes.ingest.state.observations;
    expect(stored.map((o) => o.download)).to.deep.equal([1000n, 5000n]);
    expect(stored[1]!.recordId).to.not.equal('r-1');
    expect(fakes.logger.entries.filter((e) => e.level === 'warn').map((e) => e.meta.records)).to.deep.equal([1]);
  });

  it('leaves nothing behind when storing a batch fails half-way: the batch can be sent again', async () => {
    const { fakes, batch } = world();
    fakes.ingest.quarantine = async () => {
      throw new Error('database went away');
    };
    try {
      await batch('b-1', [record({ recordId: 'r-1' }), record({ recordId: 'r-bad', observedAt: 'not a time' })]);
      expect.fail('stored');
    } catch (err) {
      expect((err as Error).message).to.equal('database went away');
    }
    expect(fakes.db.log.map((t) => t.outcome)).to.deep.equal(['rolled back']);
    expect(fakes.ingest.state).to.deep.equal({ batches: [], observations: [], quarantined: [] });
  });
});
