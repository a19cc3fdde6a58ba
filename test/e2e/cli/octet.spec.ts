import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOctet, startOctet } from '../../support/cli.js';

describe('the octet command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists its commands with --help and exits 0', async () => {
    const res = await runOctet(['--help']);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.match(/serve/).and.match(/migrate/).and.match(/user/);
  });

  it('gives every subcommand its own --help', async () => {
    const res = await runOctet(['user', 'add', '--help']);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.contain('--email <email>');
  });

  it('exits 2 with one clear line for an unknown option', async () => {
    const res = await runOctet(['serve', '--bogus']);
    expect(res.code).to.equal(2);
    expect(res.stderr.trim()).to.equal("error: unknown option '--bogus'");
  });

  it('exits 2 for an unknown command', async () => {
    const res = await runOctet(['frobnicate']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain("unknown command 'frobnicate'");
  });

  it('exits 2 naming the option for a bad port', async () => {
    const res = await runOctet(['serve', '--port', '99999']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain("option '-p, --port <port>' argument '99999' is invalid. must be a port number (0-65535)");
  });

  it('exits 2 naming the file and the field for a bad config, before touching anything', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'http:\n  port: "x"\n');
    const res = await runOctet(['migrate', '--config', file]);
    expect(res.code).to.equal(2);
    const lines = res.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.equal(`octet: ${file}: http.port: Invalid input: expected number, received string`);
  });

  it('exits 2 naming db.url when the database URL has an unknown scheme', async () => {
    const file = join(dir, 'scheme.yaml');
    writeFileSync(file, 'db:\n  url: postgres://db/octet\n');
    const res = await runOctet(['migrate', '--config', file]);
    expect(res.code).to.equal(2);
    expect(res.stderr.trim()).to.equal(`octet: ${file}: db.url: must start with sqlite: or mysql://`);
  });

  it('exits 1 with the reason when the database is unreachable', async () => {
    const file = join(dir, 'down.yaml');
    writeFileSync(file, 'db:\n  url: mysql://root@127.0.0.1:1/octet\n');
    const res = await runOctet(['migrate', '--config', file]);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.match(/octet: cannot connect to the database \(mysql\)/);
  });

  it('migrates an embedded database, then finds it up to date', async () => {
    const file = join(dir, 'octet.yaml');
    writeFileSync(file, `db:\n  url: sqlite:${join(dir, 'octet.db')}\nlog:\n  level: warn\n`);
    const first = await runOctet(['migrate', '--config', file]);
    expect(first.code).to.equal(0);
    expect(first.stdout).to.match(/^applied \d+ migration\(s\): 0001-foundation/);
    const second = await runOctet(['migrate', '--config', file]);
    expect(second.stdout.trim()).to.equal('database is up to date');
  });

  it('creates the first admin with a password read from stdin, and refuses a short one with exit 2', async () => {
    const file = join(dir, 'octet.yaml');
    const ok = await runOctet(['user', 'add', '--config', file, '--email', 'noc@isp.example', '--name', 'NOC', '--password-stdin'], { input: 'a good long passphrase\n' });
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.equal('created admin noc@isp.example\n');
    const short = await runOctet(['user', 'add', '--config', file, '--email', 'b@isp.example', '--name', 'B', '--password-stdin'], { input: 'short\n' });
    expect(short.code).to.equal(2);
    expect(short.stderr).to.contain('password must be at least 12 characters');
  });

  it('prints a generated password once when none is given', async () => {
    const file = join(dir, 'octet.yaml');
    const res = await runOctet(['user', 'add', '--config', file, '--email', 'gen@isp.example', '--name', 'Gen', '--role', 'billing']);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.match(/^created billing gen@isp\.example\npassword \(shown once, change it after logging in\): \S{20}\n$/);
  });

  it('refuses an unknown role with exit 2', async () => {
    const res = await runOctet(['user', 'add', '--email', 'x@isp.example', '--name', 'X', '--role', 'root']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain("argument 'root' is invalid. Allowed choices are admin, billing, readonly.");
  });

  it('serves the admin shell and health checks, and stops cleanly on SIGTERM', async () => {
    const file = join(dir, 'octet.yaml');
    const { child, match } = await startOctet(['serve', '--config', file, '--port', '0'], /Octet plugin at (http:\/\/\S+)/);
    try {
      const base = match[1]!;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).to.equal(200);
      expect(await health.json()).to.deep.equal({ status: 'ok', database: 'ok' });
      const login = await fetch(`${base}/login`);
      expect(await login.text()).to.contain('<h1>Log in</h1>');
    } finally {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).to.equal(0);
    }
  });
});
