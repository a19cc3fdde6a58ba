import { expect } from 'chai';
import { TimeoutError } from 'sequelize';
import { isDatabaseBusy, WriterQueue } from '../../../../plugin/db/busy.js';

describe('database busy handling', () => {
  it('runs writers one at a time, in the order they came', async () => {
    const queue = new WriterQueue();
    const log: string[] = [];
    const writer = (name: string, ms: number) => queue.run(async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name} end`);
    });
    await Promise.all([writer('a', 20), writer('b', 1), writer('c', 5)]);
    expect(log).to.deep.equal(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('runs a transaction started inside a queued one at once instead of waiting for itself', async () => {
    const queue = new WriterQueue();
    const inner = await queue.run(() => queue.run(async () => 'inner ran'));
    expect(inner).to.equal('inner ran');
  });

  it('keeps serving writers after one failed', async () => {
    const queue = new WriterQueue();
    await queue.run(async () => { throw new Error('boom'); }).catch(() => undefined);
    expect(await queue.run(async () => 42)).to.equal(42);
  });

  it('recognises SQLITE_BUSY, MySQL lock wait timeouts and deadlocks as a busy database, and nothing else', () => {
    expect(isDatabaseBusy(new TimeoutError(Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }) as never))).to.equal(true);
    expect(isDatabaseBusy({ original: { code: 'SQLITE_BUSY' } })).to.equal(true);
    expect(isDatabaseBusy({ parent: { errno: 1205 } })).to.equal(true);
    expect(isDatabaseBusy({ original: { code: 'ER_LOCK_DEADLOCK' } })).to.equal(true);
    expect(isDatabaseBusy({ original: { code: 'ER_DUP_ENTRY', errno: 1062 } })).to.equal(false);
    expect(isDatabaseBusy(new Error('connection refused'))).to.equal(false);
  });
});
