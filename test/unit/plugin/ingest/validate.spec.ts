import { expect } from 'chai';
import { checkRecords, sessionKeyOf } from '../../../../plugin/ingest/validate.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const record = (over: Record<string, unknown> = {}) => ({
  recordId: 'r-1',
  source: 'radius',
  sourceName: 'nas-1',
  login: 'alice',
  sessionId: 'S1',
  sessionStart: '2026-03-01T10:00:00Z',
  observedAt: '2026-03-01T11:00:00.250Z',
  downloadOctets: '5000000000',
  uploadOctets: '12',
  ended: false,
  ...over,
});
const check = (records: unknown[]) => checkRecords(records, { nowMs: NOW, futureToleranceMs: 3_600_000 });

describe('checking the records of a batch', () => {
  it('accepts a valid record with its counters as exact bigints', () => {
    const { valid, rejected } = check([record()]);
    expect(rejected).to.deep.equal([]);
    expect(valid[0]).to.include({ recordId: 'r-1', login: 'alice', download: 5_000_000_000n, upload: 12n, observedAtMs: Date.parse('2026-03-01T11:00:00.250Z') });
    expect(valid[0]!.sessionKey).to.equal(sessionKeyOf('radius', 'nas-1', 'S1'));
  });

  it('rejects a record that fails the wire schema with the field and reason, keeping the others', () => {
    const { valid, rejected } = check([record({ recordId: 'bad', downloadOctets: '-1' }), record({ recordId: 'ok' })]);
    expect(valid.map((v) => v.recordId)).to.deep.equal(['ok']);
    expect(rejected).to.have.length(1);
    expect(rejected[0]).to.include({ recordId: 'bad', index: 0 });
    expect(rejected[0]!.reason).to.match(/^downloadOctets: /);
  });

  it('rejects something that is not a record at all, with a null record id', () => {
    const { rejected } = check([42]);
    expect(rejected[0]).to.include({ recordId: null, index: 0 });
  });

  it('rejects counters too large to store (2^63 or more, per the wire schema)', () => {
    const { rejected } = check([record({ uploadOctets: (1n << 63n).toString() })]);
    expect(rejected[0]!.reason).to.match(/^uploadOctets: must be at most 2\^63-1/);
  });

  it('rejects an observation from the future beyond the tolerance', () => {
    const { rejected } = check([record({ observedAt: '2026-03-01T13:30:00Z' })]);
    expect(rejected[0]!.reason).to.match(/^observedAt: is in the future/);
  });

  it('rejects a session start after the observation', () => {
    const { rejected } = check([record({ sessionStart: '2026-03-01T11:30:00Z' })]);
    expect(rejected[0]!.reason).to.match(/^sessionStart:/);
  });
});

describe('checking the records of a batch: counters that are not integers', () => {
  it('rejects a fractional counter naming the field (the wire refinement must not crash the batch)', () => {
    const { valid, rejected } = check([record({ downloadOctets: '1.5' }), record({ recordId: 'ok' })]);
    expect(valid.map((v) => v.recordId)).to.deep.equal(['ok']);
    expect(rejected[0]!.reason).to.match(/^downloadOctets: must be a non-negative integer/);
  });
});

describe('describing a malformed message to the agent', () => {
  it('names the first ten problems and counts the rest, however many entries are bad', async () => {
    const { z } = await import('zod');
    const { describeIssues } = await import('../../../../plugin/ingest/validate.js');
    const parsed = z.array(z.string()).safeParse(Array.from({ length: 5000 }, () => 1));
    if (parsed.success) throw new Error('expected a failure');
    const text = describeIssues(parsed.error);
    expect(text.split('; ')).to.have.length(11);
    expect(text).to.match(/^0: /).and.to.match(/; and 4990 more problem\(s\)$/);
  });
});
