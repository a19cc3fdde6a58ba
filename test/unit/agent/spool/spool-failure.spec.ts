import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { assessHealth } from '../../../../agent/http.js';
import { Spool, SpoolFailedError, type SpoolIo, type SpoolOptions } from '../../../../agent/spool/spool.js';

function obs(i: number): SessionObservation {
  return {
    recordId: `r${i}`,
    source: 'radius',
    sourceName: 'bras1',
    login: 'alice',
    sessionId: `s${i}`,
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: String(i * 1000),
    uploadOctets: String(i),
    ended: false,
  };
}

/** A disk that writes half of the next write and then fails, and whose truncate fails while `broken`. */
function faultyIo() {
  const io = {
    failNextWrite: false,
    broken: false,
    write: async (fh: Parameters<SpoolIo['write']>[0], buf: Buffer, off: number, len: number, position: number) => {
      if (io.failNextWrite) {
        io.failNextWrite = false;
        await fh.write(buf, off, Math.max(1, Math.floor(len / 2)), position);
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      }
      return (await fh.write(buf, off, len, position)).bytesWritten;
    },
    truncate: async (path: string, len: number) => {
      if (io.broken) throw Object.assign(new Error('EIO: i/o error, truncate'), { code: 'EIO' });
      await truncate(path, len);
    },
  };
  return io;
}

const health = (s: Spool) =>
  assessHealth({ spool: s.stats(), shipper: { lastAckAt: null, lastError: null, consecutiveFailures: 0 }, routers: [], radius: null });

describe('spool after a failed write', () => {
  let dir: string;
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const open = (o: Partial<SpoolOptions> = {}) => Spool.open({ dir, maxBytes: 64 * 1024 * 1024, logger: nullLogger, clock, ...o });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'octet-spool-fail-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses appends once a failed write could not be cut back, so no acknowledged record lands after garbage', async () => {
    const io = faultyIo();
    const s = await open({ io });
    await s.append([obs(1)]);
    io.failNextWrite = true;
    io.broken = true;
    let err: unknown;
    await s.append([obs(2)]).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(Error);
    err = undefined;
    await s.append([obs(3)]).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(SpoolFailedError);
    expect(s.stats().failed).to.match(/EIO/);
    // The shipper still reads what was acknowledged.
    expect((await s.readUnacked(10)).map((e) => e.record.recordId)).to.deep.equal(['r1']);
    await s.close();
    // Recovery on restart cuts the torn bytes and nothing acknowledged.
    const again = await open();
    expect((await again.readUnacked(10)).map((e) => e.record.recordId)).to.deep.equal(['r1']);
    await again.append([obs(4)]);
    expect((await again.readUnacked(10)).map((e) => e.record.recordId)).to.deep.equal(['r1', 'r4']);
    await again.close();
  });

  it('reports itself failed on the health check, loudly', async () => {
    const io = faultyIo();
    const s = await open({ io });
    io.failNextWrite = true;
    io.broken = true;
    await s.append([obs(1)]).catch(() => undefined);
    const report = health(s);
    expect(report.status).to.equal('degraded');
    expect(report.problems.join('\n')).to.match(/spool failed.*EIO.*refusing records/);
    await s.close();
  });

  it('takes records again once the torn bytes could be cut back', async () => {
    const io = faultyIo();
    const s = await open({ io, repairIntervalMs: 0 });
    io.failNextWrite = true;
    io.broken = true;
    await s.append([obs(1)]).catch(() => undefined);
    io.broken = false;
    let refused = false;
    await s.append([obs(2)]).catch(() => (refused = true));
    expect(refused).to.equal(true); // the one that found it failed is still refused
    await s.repaired();
    expect(s.stats().failed).to.equal(null);
    await s.append([obs(3)]);
    expect((await s.readUnacked(10)).map((e) => e.record.recordId)).to.deep.equal(['r3']);
    await s.close();
  });

  it('carries on when the failed write could be cut back at once', async () => {
    const io = faultyIo();
    const s = await open({ io });
    io.failNextWrite = true;
    await s.append([obs(1)]).catch(() => undefined);
    expect(s.stats().failed).to.equal(null);
    await s.append([obs(2)]);
    await s.close();
    const again = await open();
    expect((await again.readUnacked(10)).map((e) => e.record.recordId)).to.deep.equal(['r2']);
    await again.close();
  });
});
