import { QueryTypes } from 'sequelize';
import type { Database } from '../../plugin/db/database.js';

/**
 * Raises the server's InnoDB buffer pool to `bytes` when it is smaller (the variable is dynamic;
 * root may set it) and returns the size it runs with. Benchmarks at 100,000 services or accounts
 * have working sets of a few hundred MB to a few GB, which Debian's default pool of 128 MB reads
 * from disk again every round: a host sized for such a network gives its database the memory, so
 * the benches measure with it and print what they ran with.
 */
export async function raiseBufferPool(db: Database, bytes: number, log: (line: string) => void): Promise<number> {
  const pool = async () => Number((await db.sequelize.query<{ v: string }>('SELECT CAST(@@GLOBAL.innodb_buffer_pool_size AS CHAR) AS v', { type: QueryTypes.SELECT }))[0]!.v);
  if ((await pool()) < bytes) {
    await db.sequelize.query(`SET GLOBAL innodb_buffer_pool_size = ${Math.floor(bytes)}`, { type: QueryTypes.RAW }).catch((e: Error) => log(`could not raise innodb_buffer_pool_size: ${e.message}`));
  }
  const size = await pool();
  log(`innodb_buffer_pool_size: ${(size / 1048576).toFixed(0)} MB`);
  return size;
}
