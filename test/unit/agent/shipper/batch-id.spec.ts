import { expect } from 'chai';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { batchOf } from '../../../../agent/shipper/shipper.js';

function obs(id: string, download: string): SessionObservation {
  return {
    recordId: id,
    source: 'radius',
    sourceName: 'nas-1',
    login: 'alice',
    sessionId: 'S1',
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: download,
    uploadOctets: '0',
    ended: false,
  };
}

describe('shipper batch ids', () => {
  it('gives an agent restored from a VM snapshot, re-using a sequence range for other records, another batch id', () => {
    const before = batchOf('a1b2c3d4e5f60718', 41, 42, [obs('r41', '100'), obs('r42', '200')]);
    const restored = batchOf('a1b2c3d4e5f60718', 41, 42, [obs('r41', '100'), obs('r42', '900')]);
    expect(restored.batchId).not.to.equal(before.batchId);
  });

  it('gives a retry of the same records the same batch id', () => {
    const records = [obs('r1', '100'), obs('r2', '200')];
    expect(batchOf('a1b2c3d4e5f60718', 1, 2, records).batchId).to.equal(batchOf('a1b2c3d4e5f60718', 1, 2, JSON.parse(JSON.stringify(records))).batchId);
  });

  it('keeps every batch id within the 64 characters the agent API accepts, even at huge sequence numbers', () => {
    for (const seq of [1, 10 ** 9, Number.MAX_SAFE_INTEGER]) {
      const { batchId } = batchOf('a1b2c3d4e5f60718', seq, seq + 1, [obs('r', '1')]);
      expect(batchId.length).to.be.within(1, 64);
    }
  });
});
