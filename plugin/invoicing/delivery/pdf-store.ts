import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { OperationalError } from '../../common/errors.js';

/**
 * The invoice PDFs on disk, under `pdf.storeDir`. A file is written whole or not at all: to a
 * temporary name in the same folder, fsynced, renamed over the final name, and the folder
 * fsynced, so a crash never leaves half a PDF under an invoice's name. Two instances writing the
 * same invoice write the same bytes (rendering is deterministic), so the last rename is harmless.
 */
export class PdfStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The absolute path of a relative one, refusing anything that would leave the store. */
  private absolute(relative: string): string {
    const abs = resolve(this.root, relative);
    if (!abs.startsWith(this.root + sep)) throw new OperationalError(`PDF path ${relative} is outside the store`, { retryable: false });
    return abs;
  }

  async write(relative: string, bytes: Buffer): Promise<void> {
    const target = this.absolute(relative);
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const fh = await open(temp, 'w', 0o640);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new OperationalError(`cannot write the PDF ${relative}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // The rename is durable only once the folder's entry is on disk.
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  /** The stored bytes, or null when the file is not there. */
  async read(relative: string): Promise<Buffer | null> {
    try {
      return await readFile(this.absolute(relative));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}
