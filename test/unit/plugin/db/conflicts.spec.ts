import { expect } from 'chai';
import { DatabaseError } from 'sequelize';
import { CONFLICT_ATTEMPTS, isWriteConflict, retryOnConflict } from '../../../../plugin/db/conflicts.js';
import { DatabaseBusyError } from '../../../../plugin/db/busy.js';

/** What mysql2 hands sequelize for a deadlock victim or a Galera certification failure. */
function deadlock(): Error {
  const original = Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001' });
  return new DatabaseError(original as never);
}

function duplicateKey(): Error {
  const original = Object.assign(new Error("Duplicate entry '7' for key 'PRIMARY'"), { code: 'ER_DUP_ENTRY', errno: 1062 });
  return new DatabaseError(original as never);
}

const noWait = { delayMs: () => 0, sleep: async () => undefined };

describe('write conflicts (deadlocks and Galera certification failures)', () => {
  it('recognises error 1213 wrapped by sequelize, and inside the busy error the API answers 503 with', () => {
    expect(isWriteConflict(deadlock())).to.equal(true);
    expect(isWriteConflict(new DatabaseBusyError('mysql', deadlock()))).to.equal(true);
    expect(isWriteConflict({ errno: 1213 })).to.equal(true);
  });

  it('does not take a duplicate key, a lock wait timeout or a plain error for a conflict', () => {
    expect(isWriteConflict(duplicateKey())).to.equal(false);
    expect(isWriteConflict({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 })).to.equal(false);
    expect(isWriteConflict(new Error('Deadlock found when trying to get lock'))).to.equal(false);
    expect(isWriteConflict(undefined)).to.equal(false);
  });

  it('runs a transaction that lost a conflict again and returns what the next attempt committed', async () => {
    let runs = 0;
    const retried: number[] = [];
    const result = await retryOnConflict(async () => {
      runs++;
      if (runs < 3) throw deadlock();
      return `committed on attempt ${runs}`;
    }, { ...noWait, onRetry: (attempt) => retried.push(attempt) });
    expect(result).to.equal('committed on attempt 3');
    expect(runs).to.equal(3);
    expect(retried).to.deep.equal([1, 2]);
  });

  it(`gives up after ${CONFLICT_ATTEMPTS} attempts in all and throws the last conflict`, async () => {
    let runs = 0;
    const last = deadlock();
    const err = await retryOnConflict(async () => {
      runs++;
      throw runs === CONFLICT_ATTEMPTS ? last : deadlock();
    }, noWait).catch((e: unknown) => e);
    expect(runs).to.equal(CONFLICT_ATTEMPTS);
    expect(err).to.equal(last);
  });

  it('never repeats a transaction that failed for another reason (a duplicate key is an answer, not a conflict)', async () => {
    let runs = 0;
    const err = await retryOnConflict(async () => {
      runs++;
      throw duplicateKey();
    }, noWait).catch((e: unknown) => e);
    expect(runs).to.equal(1);
    expect(isWriteConflict(err)).to.equal(false);
  });

  it('waits longer before each further attempt', async () => {
    const waits: number[] = [];
    let runs = 0;
    await retryOnConflict(async () => {
      if (++runs < 4) throw deadlock();
    }, { delayMs: (n) => 10 * 2 ** (n - 1), sleep: async (ms) => void waits.push(ms) });
    expect(waits).to.deep.equal([10, 20, 40]);
  });
});
