import { expect } from 'chai';
import { QueryTypes, type Transaction } from 'sequelize';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { DatabaseBusyError } from '../../../../plugin/db/busy.js';
import { isWriteConflict } from '../../../../plugin/db/conflicts.js';
import { openDatabase, type Database } from '../../../../plugin/db/database.js';
import { createTestDatabase, forEachDatabase, type TestDatabase } from '../../../support/databases.js';

/** A promise and the function that settles it: one side waits until the other got its lock. */
function signal(): { reached: () => void; wait: Promise<void> } {
  let reached!: () => void;
  const wait = new Promise<void>((resolve) => (reached = resolve));
  return { reached, wait };
}

forEachDatabase('a transaction rolled back by a write conflict runs again', (dialect) => {
  let database: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    db = await openDatabase(database.url, nullLogger);
    await db.sequelize.query('CREATE TABLE tally (name VARCHAR(8) PRIMARY KEY, n INTEGER NOT NULL)');
    await db.sequelize.query("INSERT INTO tally (name, n) VALUES ('a', 0), ('b', 0)");
  });
  afterEach(async () => {
    await db?.close();
    await database?.drop();
  });

  const bump = (name: string, t: Transaction) => db.sequelize.query('UPDATE tally SET n = n + 1 WHERE name = ?', { replacements: [name], transaction: t });
  const tally = async () => Object.fromEntries((await db.sequelize.query<{ name: string; n: number | string }>('SELECT name, n FROM tally ORDER BY name', { type: QueryTypes.SELECT })).map((r) => [r.name, Number(r.n)]));

  /**
   * Two transactions that each add one to both rows, in opposite order. On MySQL/MariaDB each takes
   * its first row and waits for the other to hold its own before reaching for the second: a real
   * deadlock, and InnoDB rolls one of them back with error 1213. Only the first attempt waits.
   */
  function crossing(options: { retryConflicts?: boolean }): { runs: { ab: number; ba: number }; both: Promise<PromiseSettledResult<unknown>[]> } {
    const runs = { ab: 0, ba: 0 };
    const aHeld = signal();
    const bHeld = signal();
    const mysql = dialect === 'mysql';
    const ab = db.transaction(async (t) => {
      const first = ++runs.ab === 1;
      await bump('a', t);
      if (first && mysql) {
        aHeld.reached();
        await bHeld.wait;
      }
      await bump('b', t);
    }, options);
    const ba = db.transaction(async (t) => {
      const first = ++runs.ba === 1;
      await bump('b', t);
      if (first && mysql) {
        bHeld.reached();
        await aHeld.wait;
      }
      await bump('a', t);
    }, options);
    return { runs, both: Promise.allSettled([ab, ba]) };
  }

  if (dialect === 'mysql') {
    it('a real deadlock: the victim is rolled back whole and run again, so each transaction adds exactly once', async () => {
      const { runs, both } = crossing({ retryConflicts: true });
      const outcomes = await both;
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled']);
      expect(runs.ab + runs.ba).to.equal(3); // one of them ran twice
      expect(await tally()).to.deep.equal({ a: 2, b: 2 });
    });

    it('without the retry the victim fails as "busy" (503 for the API) around error 1213, and only the winner is kept', async () => {
      const { runs, both } = crossing({});
      const outcomes = await both;
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failed).to.have.length(1);
      expect(failed[0]!.reason).to.be.instanceOf(DatabaseBusyError);
      expect(isWriteConflict(failed[0]!.reason)).to.equal(true);
      expect(runs).to.deep.equal({ ab: 1, ba: 1 });
      expect(await tally()).to.deep.equal({ a: 1, b: 1 });
    });
  } else {
    it('writers queue one after the other, so the same crossing transactions both commit at the first attempt', async () => {
      const { runs, both } = crossing({ retryConflicts: true });
      expect((await both).map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled']);
      expect(runs).to.deep.equal({ ab: 1, ba: 1 });
      expect(await tally()).to.deep.equal({ a: 2, b: 2 });
    });
  }
});
