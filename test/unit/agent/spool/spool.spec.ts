import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { OperationalError } from '../../../../plugin/common/errors.js';
import { createLogger, nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { Spool, SpoolFullError, type SpoolOptions } from '../../../../agent/spool/spool.js';

function obs(i: number): SessionObservation {
  return {
    recordId: `r${i}`,
    source: 'radius',
    sourceName: 'bras1',
    login: `user${i % 7}`,
    sessionId: `s${i}`,
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: String(i * 1000),
    uploadOctets: String(i),
    ended: false,
  };
}

describe('spool', () => {
  let dir: string;
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const open = (o: Partial<SpoolOptions> = {}) =>
    Spool.open({ dir, maxBytes: 64 * 1024 * 1024, logger: nullLogger, clock, ...o });
  const segments = () => readdirSync(dir).filter((n) => n.startsWith('seg-')).sort();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back appended records in order, after a reopen', async () => {
    const s = await open();
    await s.append([obs(1), obs(2)]);
    await s.append([obs(3)]);
    await s.close();
    const again = await open();
    const entries = await again.readUnacked(10);
    expect(entries.map((e) => [e.seq, e.record.recordId])).to.deep.equal([[1, 'r1'], [2, 'r2'], [3, 'r3']]);
    await again.close();
  });

  it('coalesces concurrent appends into fewer fsyncs than appends', async () => {
    const registry = new Registry();
    const s = await open({ registry });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.append([obs(i)])));
    const fsyncs = (await registry.getSingleMetric('octet_agent_spool_fsyncs_total')!.get()).values[0]!.value;
    expect(fsyncs).to.be.greaterThan(0).and.lessThan(200);
    expect((await s.readUnacked(1000)).length).to.equal(200);
    await s.close();
  });

  it('reads in batches from where the previous read stopped', async () => {
    const s = await open({ segmentBytes: 1000 });
    for (let i = 1; i <= 50; i++) await s.append([obs(i)]);
    const a = await s.read(0, 20);
    const b = await s.read(20, 20);
    const c = await s.read(40, 20);
    expect([...a, ...b, ...c].map((e) => e.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(segments().length).to.be.greaterThan(1);
    await s.close();
  });

  it('keeps records until the plugin acknowledged them, and persists the ack cursor', async () => {
    const s = await open();
    await s.append([obs(1), obs(2), obs(3)]);
    await s.ack(2);
    await s.close();
    const again = await open();
    expect((await again.readUnacked(10)).map((e) => e.seq)).to.deep.equal([3]);
    expect(again.stats()).to.include({ depth: 1, ackedSeq: 2, lastSeq: 3 });
    await again.close();
  });

  it('deletes a segment only once every record in it is acknowledged', async () => {
    const s = await open({ segmentBytes: 600 });
    for (let i = 1; i <= 12; i++) await s.append([obs(i)]);
    const before = segments();
    expect(before.length).to.be.greaterThan(2);
    const secondFirst = Number(before[1]!.slice(4, 24));
    await s.ack(secondFirst - 2);
    expect(segments()).to.deep.equal(before);
    await s.ack(secondFirst - 1);
    expect(segments()).to.deep.equal(before.slice(1));
    await s.close();
  });

  it('keeps acknowledged records on disk while a local reader holds them', async () => {
    const s = await open({ segmentBytes: 300 });
    for (let i = 1; i <= 6; i++) await s.append([obs(i)]);
    await s.setHold('reader', 1);
    await s.ack(6);
    const seen: number[] = [];
    await s.scan(1, (e) => seen.push(e.seq));
    expect(seen).to.deep.equal([2, 3, 4, 5, 6]);
    await s.close();
  });

  it('refuses appends with a typed operational error when full, and takes them again after an ack frees space', async () => {
    const s = await open({ maxBytes: 2000, segmentBytes: 500 });
    let refused: unknown;
    let n = 0;
    while (!refused) {
      await s.append([obs(++n)]).catch((err: unknown) => (refused = err));
    }
    expect(refused).to.be.instanceOf(SpoolFullError).and.instanceOf(OperationalError);
    expect(s.stats().bytes).to.be.at.most(2000);
    await s.ack(s.stats().lastSeq);
    await s.append([obs(1000)]);
    expect((await s.readUnacked(10)).map((e) => e.record.recordId)).to.deep.equal(['r1000']);
    await s.close();
  });

  it('logs loudly when the spool passes 80% and 90% of its size', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const s = await open({ maxBytes: 4000, logger: createLogger({ stream, format: 'json' }) });
    for (let i = 0; i < 40; i++) await s.append([obs(i)]).catch(() => undefined);
    expect(lines.some((l) => l.includes('80% used'))).to.equal(true);
    expect(lines.some((l) => l.includes('90% used') && l.includes('"level":"error"'))).to.equal(true);
    await s.close();
  });

  describe('after a crash that tore the last record', () => {
    it('drops the torn record cleanly at every byte offset and keeps the whole ones', async () => {
      const s = await open();
      await s.append([obs(1), obs(2)]);
      await s.append([obs(3)]);
      await s.close();
      const seg = join(dir, segments()[0]!);
      const full = readFileSync(seg);
      const thirdStart = full.length - (full.length - firstTwoLength(full));
      for (let cut = thirdStart; cut < full.length; cut++) {
        writeFileSync(seg, full.subarray(0, cut));
        const again = await open();
        const seqs = (await again.readUnacked(10)).map((e) => e.seq);
        expect(seqs, `cut at ${cut}`).to.deep.equal([1, 2]);
        expect(statSync(seg).size, `cut at ${cut}`).to.equal(thirdStart);
        // New records continue the sequence right after the last whole one.
        await again.append([obs(9)]);
        expect((await again.readUnacked(10)).map((e) => e.seq)).to.deep.equal([1, 2, 3]);
        await again.close();
      }
    });

    it('drops a last record whose bytes are corrupt (CRC mismatch)', async () => {
      const s = await open();
      await s.append([obs(1), obs(2)]);
      await s.close();
      const seg = join(dir, segments()[0]!);
      const buf = readFileSync(seg);
      buf[buf.length - 3] = buf[buf.length - 3]! ^ 0xff;
      writeFileSync(seg, buf);
      const again = await open();
      expect((await again.readUnacked(10)).map((e) => e.seq)).to.deep.equal([1]);
      await again.close();
    });
  });

  it('writes records over zeros written ahead of them, and leaves only records in a segment once closed or rolled over', async () => {
    const s = await open({ segmentBytes: 4000 });
    await s.append([obs(1), obs(2)]);
    const seg = join(dir, segments()[0]!);
    const records = s.stats().bytes;
    // While open, the file already holds zeros past its records (the next writes land inside it).
    const live = readFileSync(seg);
    expect(live.length).to.be.greaterThan(records);
    expect(live.subarray(records).every((b) => b === 0)).to.equal(true);
    for (let i = 3; i <= 30; i++) await s.append([obs(i)]);
    await s.close();
    const names = segments();
    expect(names.length).to.be.greaterThan(1);
    const total = names.reduce((n, name) => n + statSync(join(dir, name)).size, 0);
    expect(total).to.equal(s.stats().bytes);
    const again = await open({ segmentBytes: 4000 });
    expect((await again.readUnacked(100)).map((e) => e.seq)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
    await again.close();
  });

  it('cuts the zeros past the last record after an unclean stop, without reporting a torn tail, and goes on from there', async () => {
    const s = await open();
    await s.append([obs(1), obs(2)]);
    await s.close();
    const seg = join(dir, segments()[0]!);
    const records = readFileSync(seg);
    // What a kill -9 leaves: the records, then the zeros written ahead.
    writeFileSync(seg, Buffer.concat([records, Buffer.alloc(64 * 1024)]));
    const lines: string[] = [];
    const stream = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
    const again = await open({ logger: createLogger({ stream, format: 'json' }) });
    expect(statSync(seg).size).to.equal(records.length);
    expect(lines.filter((l) => l.includes('torn'))).to.deep.equal([]);
    await again.append([obs(3)]);
    expect((await again.readUnacked(10)).map((e) => e.seq)).to.deep.equal([1, 2, 3]);
    await again.close();
    expect(statSync(seg).size).to.be.greaterThan(records.length);
  });

  it('opens an empty segment left by a crash right after it was created', async () => {
    const s = await open({ segmentBytes: 200 });
    for (let i = 1; i <= 4; i++) await s.append([obs(i)]);
    await s.close();
    const last = segments().at(-1)!;
    truncateSync(join(dir, last), 0);
    const again = await open();
    const seqs = (await again.readUnacked(10)).map((e) => e.seq);
    expect(seqs[0]).to.equal(1);
    expect(seqs.at(-1)).to.equal(Number(last.slice(4, 24)) - 1);
    await again.close();
  });
});

/** Byte length of the first two records (header 16 bytes + payload each). */
function firstTwoLength(buf: Buffer): number {
  let off = 0;
  for (let i = 0; i < 2; i++) off += 16 + buf.readUInt32BE(off);
  return off;
}
