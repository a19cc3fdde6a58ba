import { expect } from 'chai';
import { join } from 'node:path';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { SessionBook } from '../../../../agent/radius/session-book.js';
import { Spool } from '../../../../agent/spool/spool.js';
import { tempDir } from './fixtures.js';

function obs(sessionId: string, down: number, ended = false, recordId = `${sessionId}-${down}-${ended}`): SessionObservation {
  return {
    recordId,
    source: 'radius',
    sourceName: 'bras1',
    login: 'alice',
    sessionId,
    sessionStart: null,
    observedAt: '2026-03-01T10:00:00.000Z',
    downloadOctets: String(down),
    uploadOctets: '0',
    ended,
  };
}

describe('RADIUS session book', () => {
  const clock = new ManualClock();
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir('octet-book-')));
  afterEach(() => t.remove());

  const openSpool = () => Spool.open({ dir: join(t.dir, 'spool'), maxBytes: 64 * 1024 * 1024, segmentBytes: 400, logger: nullLogger, clock });
  const openBook = (spool: Spool) => SessionBook.open({ stateDir: join(t.dir, 'state'), spool, logger: nullLogger });

  async function record(spool: Spool, book: SessionBook, records: SessionObservation[]) {
    await spool.append(records);
    book.apply(records);
  }

  it('knows the open sessions after a clean restart', async () => {
    let spool = await openSpool();
    let { book } = await openBook(spool);
    await record(spool, book, [obs('s1', 10), obs('s2', 20), obs('s2', 25, true), obs('s3', 30)]);
    await book.stop();
    await spool.close();
    spool = await openSpool();
    ({ book } = await openBook(spool));
    expect(book.openFor('bras1').map((o) => [o.sessionId, o.downloadOctets])).to.deep.equal([['s1', '10'], ['s3', '30']]);
    await book.stop();
    await spool.close();
  });

  it('rebuilds records written after the last snapshot from the spool, even once shipped', async () => {
    let spool = await openSpool();
    let { book } = await openBook(spool);
    await record(spool, book, [obs('s1', 10)]);
    await book.snapshot();
    for (let i = 1; i <= 10; i++) await record(spool, book, [obs('s1', 10 + i), obs(`x${i}`, i)]);
    await record(spool, book, [obs('x5', 99, true)]);
    await spool.ack(spool.lastDurableSeq); // everything shipped to the plugin
    // No snapshot now: as if killed.
    await spool.close();
    spool = await openSpool();
    const opened = await openBook(spool);
    book = opened.book;
    const open = new Map(book.openFor('bras1').map((o) => [o.sessionId, o.downloadOctets]));
    expect(open.get('s1')).to.equal('20');
    expect(open.has('x5')).to.equal(false);
    expect(open.size).to.equal(10);
    expect(opened.recentRecordIds).to.include('x5-99-true');
    await book.stop();
    await spool.close();
  });

  for (const how of ['from its snapshot', 'from the spool after a kill']) {
    it(`remembers a stopped session across a restart (${how}), so a late interim does not re-open it`, async () => {
      let spool = await openSpool();
      let { book } = await openBook(spool);
      const interim = { ...obs('s1', 1_000_000_000), observedAt: '2026-03-01T10:00:00.000Z' };
      const stop = { ...obs('s1', 1_200_000_000, true), observedAt: '2026-03-01T10:10:00.000Z' };
      await record(spool, book, [interim, stop]);
      if (how === 'from its snapshot') await book.stop();
      await spool.close();
      spool = await openSpool();
      ({ book } = await openBook(spool));
      expect(book.endedFor('bras1', 's1')).to.deep.include({ down: '1200000000', endedAt: Date.parse(stop.observedAt) });
      book.apply([{ ...interim, recordId: 'again' }]);
      expect(book.openFor('bras1')).to.deep.equal([]);
      await book.stop();
      await spool.close();
    });
  }

  it('forgets ended sessions past the memory period when it writes its snapshot', async () => {
    const spool = await openSpool();
    const local = new ManualClock('2026-03-01T10:00:00Z');
    const { book } = await SessionBook.open({ stateDir: join(t.dir, 'state'), spool, logger: nullLogger, clock: local, endedMemoryMs: 3600_000 });
    await record(spool, book, [obs('s1', 5, true)]);
    local.advance(3599_000);
    await book.snapshot();
    expect(book.endedFor('bras1', 's1')).to.not.equal(undefined);
    local.advance(2000);
    await book.snapshot();
    expect(book.endedFor('bras1', 's1')).to.equal(undefined);
    await book.stop();
    await spool.close();
  });

  it('releases acknowledged spool segments once a snapshot covers them', async () => {
    const spool = await openSpool();
    const { book } = await openBook(spool);
    for (let i = 0; i < 20; i++) await record(spool, book, [obs(`s${i}`, i)]);
    await spool.ack(spool.lastDurableSeq);
    const before = spool.stats().bytes;
    await book.snapshot();
    expect(spool.stats().bytes).to.be.lessThan(before);
    await book.stop();
    await spool.close();
  });
});
