import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../plugin/common/logger.js';
import type { EnforcementState } from '../../plugin/common/wire.js';

/** What the agent last applied per service, so that a restart does not re-apply it needlessly. */
export interface AppliedEntry {
  version: number;
  state: EnforcementState;
  rate: string | null;
  device: string;
}

/**
 * enforcement.json in the agent's state directory, written atomically (temporary file, fsync,
 * rename), as the poller's state. Losing it costs only re-applying (changes are idempotent).
 */
export class AppliedStateFile {
  readonly file: string;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.file = path.join(dir, 'enforcement.json');
  }

  async load(): Promise<Map<number, AppliedEntry>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as { version: number; applied: Record<string, AppliedEntry> };
      if (parsed.version !== 1 || typeof parsed.applied !== 'object' || parsed.applied === null) throw new Error('unknown layout');
      return new Map(Object.entries(parsed.applied).map(([k, v]) => [Number(k), v]));
    } catch (err) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside);
      this.logger.error('enforcer: state file unreadable; moved aside, everything is re-applied', { file: aside, error: String(err) });
      return new Map();
    }
  }

  async save(applied: ReadonlyMap<number, AppliedEntry>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ version: 1, applied: Object.fromEntries(applied) }));
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, this.file);
  }
}
