import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Small file-system helpers for the spool: durable small files and segment naming. */

const SEGMENT_RE = /^seg-(\d{20})\.log$/;

export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(20, '0')}.log`;
}

export async function listSegments(dir: string): Promise<Array<{ firstSeq: number; path: string }>> {
  const names = await readdir(dir);
  const out: Array<{ firstSeq: number; path: string }> = [];
  for (const name of names) {
    const m = SEGMENT_RE.exec(name);
    if (m) out.push({ firstSeq: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** fsync a directory so that a file created, renamed or removed in it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } finally {
    await fh?.close();
  }
}

/** Replaces `file` atomically: write a temp file, fsync it, rename over, fsync the directory. */
export async function writeFileDurably(dir: string, name: string, data: string | Buffer): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

/**
 * Like writeFileDurably, but writes the content in pieces as `chunks` yields them, so a large
 * file never has to exist as one string in memory.
 */
export async function writeChunksDurably(dir: string, name: string, chunks: Iterable<string>): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    for (const chunk of chunks) await fh.write(chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The spool's identity, created once with the spool directory. Batch ids include it, so that a
 * spool recreated from scratch (sequence numbers restarting at 1) never reuses a batch id the
 * plugin already acknowledged — which the plugin would answer as a duplicate and count nothing.
 */
export async function loadOrCreateSpoolId(dir: string): Promise<string> {
  const existing = (await readOptional(join(dir, 'spool-id')))?.trim();
  if (existing && /^[0-9a-f]{16}$/.test(existing)) return existing;
  const id = randomBytes(8).toString('hex');
  await writeFileDurably(dir, 'spool-id', id + '\n');
  return id;
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
