import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OperationalError, UserError } from '../../../common/errors.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is plugin/host/splynx/package/build-deb.ts). */
export const REPO_ROOT = resolve(HERE, '..', '..', '..', '..');

export const PACKAGE_NAME = 'splynx-octet';
export const APP_DIR = '/usr/lib/splynx-octet/app';
export const ADDON_DIR = '/var/www/splynx/addons/splynx-octet';

/** What of the repository Octet needs at run time; tests, benchmarks and node_modules stay out. */
const APP_PARTS = ['plugin', 'agent', 'views', 'migrations', 'config', 'package.json', 'package-lock.json', 'tsconfig.json'];

export interface BuiltPackage {
  path: string;
  version: string;
}

export function packageVersion(root = REPO_ROOT): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  // Debian's upstream-version: starts with a digit; letters, digits, . + ~ - after.
  if (typeof version !== 'string' || !/^\d[A-Za-z0-9.+~-]*$/.test(version)) {
    throw new UserError(`package.json version ${JSON.stringify(version)} is not usable as a Debian version (e.g. 0.1.0)`, [{ field: 'version', message: 'must start with a digit and contain only letters, digits and . + ~ -' }]);
  }
  return version;
}

function put(stage: string, path: string, content: string | Buffer, mode: number): void {
  const file = join(stage, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/** dpkg-deb records the staged modes, so they are set here, whatever the umask or the checkout. */
function normaliseModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) normaliseModes(p);
    else chmodSync(p, 0o644);
  }
}

function sizeKiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else bytes += statSync(p).size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}

/**
 * Builds `splynx-octet_<version>_all.deb` in `outDir`: Octet's sources under /usr/lib/splynx-octet,
 * an `octet` command, the systemd unit, the Splynx add-on (registration, settings form, the page
 * that hands the admin's sash to Octet) and the maintainer scripts. Staged in a temporary
 * directory that is removed afterwards; files are owned by root in the package.
 */
export async function buildSplynxDeb(options: { outDir: string; root?: string }): Promise<BuiltPackage> {
  const root = options.root ?? REPO_ROOT;
  const version = packageVersion(root);
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'octet-deb-'));
  try {
    const app = join(stage, APP_DIR);
    mkdirSync(app, { recursive: true });
    for (const part of APP_PARTS) {
      cpSync(join(root, part), join(app, part), { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.git)(\/|$)/.test(relative(root, src)) });
    }
    const addon = join(stage, ADDON_DIR);
    cpSync(join(HERE, 'addon'), addon, { recursive: true });
    normaliseModes(stage);

    put(stage, 'usr/bin/octet', `#!/bin/sh\nexec /usr/bin/node ${APP_DIR}/plugin/cli/octet.js "$@"\n`, 0o755);
    put(stage, 'lib/systemd/system/octet.service', readFileSync(join(HERE, 'systemd', 'octet.service')), 0o644);
    put(stage, 'usr/share/splynx-octet/octet.example.yaml', readFileSync(join(root, 'config', 'octet.example.yaml')), 0o644);
    put(stage, 'usr/share/splynx-octet/splynx-addon.ini', readFileSync(join(HERE, 'share', 'splynx-addon.ini')), 0o644);
    for (const d of ['usr', 'usr/bin', 'usr/share', 'usr/share/splynx-octet', 'lib', 'lib/systemd', 'lib/systemd/system']) chmodSync(join(stage, d), 0o755);

    const control = readFileSync(join(HERE, 'debian', 'control'), 'utf8').replace('@VERSION@', version).replace('@INSTALLED_SIZE@', String(sizeKiB(stage)));
    put(stage, 'DEBIAN/control', control, 0o644);
    put(stage, 'DEBIAN/postinst', readFileSync(join(HERE, 'debian', 'postinst')), 0o755);
    put(stage, 'DEBIAN/prerm', readFileSync(join(HERE, 'debian', 'prerm')), 0o755);
    chmodSync(join(stage, 'DEBIAN'), 0o755);

    const path = join(outDir, `${PACKAGE_NAME}_${version}_all.deb`);
    try {
      await run('dpkg-deb', ['--build', '--root-owner-group', stage, path], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new OperationalError('dpkg-deb is not installed (Debian package dpkg)', { cause: err, retryable: false });
      throw new OperationalError(`dpkg-deb failed: ${(e.stderr ?? e.message).trim()}`, { cause: err, retryable: false });
    }
    return { path, version };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
