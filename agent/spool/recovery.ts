import { open, readFile, truncate } from 'node:fs/promises';
import type { Logger } from '../../plugin/common/logger.js';
import { decodeRecords } from './record-format.js';

/**
 * Opens the segment that was being written when the agent last stopped. Only it can end in a
 * torn record or in zeros written ahead (earlier segments were cut and fsynced before the next one began). Whatever follows the
 * last whole, CRC-valid record was never acknowledged to anyone, so it is cut off — durably,
 * before new records are appended after it.
 */
export async function recoverTail(path: string, firstSeq: number, logger: Logger): Promise<{ size: number; records: number }> {
  const buf = await readFile(path);
  const decoded = decodeRecords(buf, Infinity, firstSeq);
  if (decoded.validEnd < buf.length) {
    // Zeros alone are what the spool writes ahead of its records (spool.ts, PREALLOCATE_BYTES):
    // nothing was torn.
    if (!allZero(buf, decoded.validEnd)) {
      logger.warn('spool: dropping a torn tail after an unclean stop', {
        segment: path,
        droppedBytes: buf.length - decoded.validEnd,
      });
    }
    await truncate(path, decoded.validEnd);
    const fh = await open(path, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  return { size: decoded.validEnd, records: decoded.records.length };
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
