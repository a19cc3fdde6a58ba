import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runOctet } from '../../support/cli.js';
import { startPhpServer } from './php-server.js';

const sh = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Entry {
  mode: string;
  owner: string;
  path: string;
}

/** `dpkg-deb --info` fields (" Name: value", continuation lines skipped). */
function fields(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split('\n')) {
    const m = /^ ([A-Za-z-]+): (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('the Splynx add-on package (octet package splynx-deb)', function () {
  this.timeout(120_000);
  let dir: string;
  let deb: string;
  let info: string;
  let contents: Entry[];
  let extracted: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-deb-spec-'));
    const res = await runOctet(['package', 'splynx-deb', '--out', join(dir, 'out')]);
    expect(res.code, res.stderr).to.equal(0);
    deb = res.stdout.trim();
    info = (await sh('dpkg-deb', ['--info', deb])).stdout;
    contents = (await sh('dpkg-deb', ['--contents', deb], { maxBuffer: 32 * 1024 * 1024 })).stdout
      .trim()
      .split('\n')
      .map((line) => {
        const parts = line.split(/\s+/);
        return { mode: parts[0]!, owner: parts[1]!, path: parts.slice(5).join(' ').replace(/^\.\//, '/') };
      });
    extracted = join(dir, 'root');
    await sh('dpkg-deb', ['-x', deb, extracted]);
    await sh('dpkg-deb', ['-e', deb, join(extracted, 'DEBIAN')]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (path: string) => contents.find((e) => e.path === path);

  it('is named splynx-octet_<package.json version>_all.deb and says so in its control fields', () => {
    expect(deb).to.equal(join(dir, 'out', `splynx-octet_${VERSION}_all.deb`));
    const f = fields(info);
    expect(f.Package).to.equal('splynx-octet');
    expect(f.Version).to.equal(VERSION);
    expect(f.Architecture).to.equal('all');
    expect(f.Depends).to.equal('nodejs (>= 20.17), adduser, systemd');
    expect(Number(f['Installed-Size'])).to.be.greaterThan(100);
  });

  it('carries a postinst and a prerm that are executable shell scripts', async () => {
    for (const script of ['postinst', 'prerm']) {
      const file = join(extracted, 'DEBIAN', script);
      expect(statSync(file).mode & 0o777, script).to.equal(0o755);
      expect(readFileSync(file, 'utf8').startsWith('#!/bin/sh\n'), script).to.equal(true);
      await sh('sh', ['-n', file]);
    }
    expect(info).to.match(/\*\s+postinst/).and.match(/\*\s+prerm/);
  });

  it('owns every file as root, with 0644 files, 0755 directories and only the octet command executable', () => {
    expect(contents.length).to.be.greaterThan(100);
    expect(contents.filter((e) => e.owner !== 'root/root').map((e) => e.path)).to.deep.equal([]);
    const executables = contents.filter((e) => e.mode.startsWith('-') && e.mode !== '-rw-r--r--').map((e) => `${e.mode} ${e.path}`);
    expect(executables).to.deep.equal(['-rwxr-xr-x /usr/bin/octet']);
    expect(contents.filter((e) => e.mode.startsWith('d') && e.mode !== 'drwxr-xr-x').map((e) => e.path)).to.deep.equal([]);
  });

  it('installs the systemd unit, the Splynx add-on and Octet itself, without tests or node_modules', () => {
    for (const path of [
      '/lib/systemd/system/octet.service',
      '/var/www/splynx/addons/splynx-octet/commands/InstallController.php',
      '/var/www/splynx/addons/splynx-octet/config/config.json',
      '/var/www/splynx/addons/splynx-octet/web/index.php',
      '/usr/lib/splynx-octet/app/plugin/cli/octet.js',
      '/usr/lib/splynx-octet/app/package-lock.json',
      '/usr/lib/splynx-octet/app/migrations/',
      '/usr/lib/splynx-octet/app/views/',
      '/usr/share/splynx-octet/octet.example.yaml',
    ]) {
      expect(entry(path), path).to.not.equal(undefined);
    }
    expect(contents.filter((e) => /\/(node_modules|test|\.git)\//.test(e.path)).map((e) => e.path)).to.deep.equal([]);
  });

  it('runs octet serve as the octet user with the config in /etc/octet', () => {
    const unit = readFileSync(join(extracted, 'lib/systemd/system/octet.service'), 'utf8');
    expect(unit).to.match(/^User=octet$/m).and.match(/^Group=octet$/m);
    expect(unit).to.match(/^ExecStart=\/usr\/bin\/node \/usr\/lib\/splynx-octet\/app\/plugin\/cli\/octet\.js serve --config \/etc\/octet\/octet\.yaml$/m);
    expect(unit).to.match(/^WantedBy=multi-user\.target$/m);
    expect(readFileSync(join(extracted, 'usr/bin/octet'), 'utf8')).to.contain('/usr/lib/splynx-octet/app/plugin/cli/octet.js "$@"');
  });

  it('creates the service user and its directories in postinst and never prints a key or a password', () => {
    const postinst = readFileSync(join(extracted, 'DEBIAN', 'postinst'), 'utf8');
    expect(postinst).to.match(/adduser --system --group --home \/var\/lib\/octet/);
    expect(postinst).to.contain('install -d -o octet -g octet -m 0750 /var/lib/octet');
    for (const script of ['postinst', 'prerm']) {
      const echoes = readFileSync(join(extracted, 'DEBIAN', script), 'utf8').split('\n').filter((l) => /\becho\b/.test(l));
      expect(echoes.filter((l) => /key|secret|password|token/i.test(l)), script).to.deep.equal([]);
    }
  });

  it('declares the add-on with its module name, API permissions, admin menu links and a customer tab, in valid PHP', async () => {
    const php = join(extracted, 'var/www/splynx/addons/splynx-octet');
    for (const file of ['commands/InstallController.php', 'web/index.php']) await sh('php', ['-l', join(php, file)]);
    const installer = readFileSync(join(php, 'commands/InstallController.php'), 'utf8');
    expect(installer).to.contain("return 'splynx_octet';");
    expect(installer).to.contain("'controller' => 'api\\admin\\customers\\Customer'");
    expect(installer.match(/'type' => 'menu_link'/g)).to.have.length(5);
    expect(installer.match(/'type' => 'tab'/g)).to.have.length(1);
    const config = JSON.parse(readFileSync(join(php, 'config/config.json'), 'utf8')) as { blocks: { octet: { items: Record<string, { type: string }> } } };
    expect(config.blocks.octet.items.octet_url!.type).to.equal('string');
    expect(config.blocks.octet.items.octet_api_key!.type).to.equal('encrypted');
  });

  describe("the add-on's page under PHP", () => {
    let server: Awaited<ReturnType<typeof startPhpServer>>;
    before(async () => {
      const ini = join(dir, 'splynx-addon.ini');
      writeFileSync(ini, 'octet_url = "https://billing.isp.example/"\n');
      server = await startPhpServer(join(extracted, 'var/www/splynx/addons/splynx-octet/web'), { OCTET_SPLYNX_ADDON_INI: ini });
    });
    after(() => server.stop());

    const open = (query: string) => fetch(`${server.url}/index.php?${query}`, { redirect: 'manual' });

    it("sends a menu link on to Octet's page with the admin's sash", async () => {
      const res = await open('page=invoices&sash=0a1b2c3d');
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal('https://billing.isp.example/invoices?sash=0a1b2c3d');
    });

    it("sends the customer tab on to Octet's accounts found by that customer id", async () => {
      const res = await open('page=customer&customer_id=42&sash=ff00');
      expect(res.headers.get('location')).to.equal('https://billing.isp.example/accounts?q=42&sash=ff00');
    });

    it('answers 404 for a page it does not know or a customer id that is not a number, and sends nobody anywhere', async () => {
      for (const q of ['page=../../etc', 'page=customer&customer_id=1%20OR%201']) {
        const res = await open(q);
        expect(res.status, q).to.equal(404);
        expect(res.headers.get('location'), q).to.equal(null);
      }
    });
  });
});
