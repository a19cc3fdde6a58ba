import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OperationalError, UserError } from '../../../common/errors.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '..', '..', '..', '..');

/** The plugin's files, all at the ZIP's root as the CRM expects (manifest.json and main.php required). */
export const PLUGIN_FILES = ['manifest.json', 'main.php', 'public.php', 'lib.php'];

function pluginVersion(root: string): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new UserError(`package.json version ${JSON.stringify(version)} is not a semantic version such as 0.1.0`, [{ field: 'version', message: 'must be MAJOR.MINOR.PATCH' }]);
  }
  return version;
}

/**
 * Builds `octet-uisp-plugin-<version>.zip` in `outDir` for System → Plugins in UISP CRM: the
 * manifest (with the package version), main.php (cron: checks Octet answers), public.php (staff
 * pages, webhook forwarding) and their shared lib.php. No data/: the CRM keeps that folder
 * (settings, log) across updates and makes it itself.
 */
export async function buildUispZip(options: { outDir: string; root?: string }): Promise<{ path: string; version: string }> {
  const root = options.root ?? REPO_ROOT;
  const version = pluginVersion(root);
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'octet-uisp-'));
  try {
    for (const file of PLUGIN_FILES) {
      if (file === 'manifest.json') {
        const manifest = JSON.parse(readFileSync(join(HERE, 'src', file), 'utf8')) as { information: { version: string } };
        manifest.information.version = version;
        writeFileSync(join(stage, file), `${JSON.stringify(manifest, null, 4)}\n`);
      } else {
        copyFileSync(join(HERE, 'src', file), join(stage, file));
      }
    }
    const path = join(outDir, `octet-uisp-plugin-${version}.zip`);
    rmSync(path, { force: true });
    try {
      // -X: no extra file attributes, so the same sources give the same archive contents.
      await run('zip', ['-X', '-q', '-r', path, ...PLUGIN_FILES], { cwd: stage });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new OperationalError('zip is not installed (Debian package zip)', { cause: err, retryable: false });
      throw new OperationalError(`zip failed: ${(e.stderr ?? e.message).trim()}`, { cause: err, retryable: false });
    }
    return { path, version };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
