import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../plugin/common/logger.js';
import { emptyState, type PollerState } from './decide.js';

/**
 * The last counters seen per router, on disk, so that an agent restart neither loses nor repeats
 * usage. Written atomically: a temporary file, fsync, rename over the old one, fsync the directory.
 * A crash leaves either the old state or the new one, never half of either.
 */
export class PollerStateStore {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  fileOf(router: string): string {
    return path.join(this.dir, `poller-${router}.json`);
  }

  async load(router: string): Promise<PollerState> {
    const file = this.fileOf(router);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw err;
    }
    try {
      const state = JSON.parse(text) as PollerState;
      if (state.version !== 1 || typeof state.sessions !== 'object' || state.sessions === null) throw new Error('unknown layout');
      return state;
    } catch (err) {
      // Cannot happen with atomic writes unless the disk lies; keep the evidence and start over loudly.
      const aside = `${file}.corrupt-${Date.now()}`;
      await rename(file, aside);
      this.logger.error('poller state file unreadable; moved aside, sessions on this router will be seen as new', {
        router,
        file: aside,
        error: String(err),
      });
      return emptyState();
    }
  }

  async save(router: string, state: PollerState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(router);
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(state));
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, file);
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
