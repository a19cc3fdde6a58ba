import { once } from 'node:events';
import type { Response } from 'express';
import { csvLine } from '../csv.js';

const FLUSH_AT = 64 * 1024;

/**
 * Streams CSV rows to the response as they are read, in 64 KB writes, waiting for the client when
 * its buffer is full: memory stays bounded however many rows there are. A client that goes away
 * stops the reading. UTF-8 with a byte-order mark, so spreadsheet programs read ä and € right.
 */
export async function streamCsv(res: Response, filename: string, header: string[], rows: AsyncIterable<string[]>): Promise<void> {
  res.status(200);
  res.set('Content-Type', 'text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  let closed = false;
  res.once('close', () => (closed = true));
  let buffer = '\ufeff' + csvLine(header);
  const flush = async () => {
    const ok = res.write(buffer);
    buffer = '';
    if (!ok && !closed) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  try {
    for await (const cells of rows) {
      if (closed) break;
      buffer += csvLine(cells);
      if (buffer.length >= FLUSH_AT) await flush();
    }
    if (!closed) res.end(buffer);
  } catch (err) {
    // Rows already went out: the only honest signal left is a cut connection, never a short file that looks whole.
    if (res.headersSent) res.destroy(err instanceof Error ? err : new Error(String(err)));
    else throw err;
  }
}
