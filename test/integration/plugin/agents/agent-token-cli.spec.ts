import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOctet } from '../../../support/cli.js';

describe('octet agent-token (CLI, SQLite)', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-agent-cli-'));
    config = join(dir, 'plugin.yaml');
    writeFileSync(config, `db:\n  url: sqlite:${join(dir, 'octet.db')}\nlog:\n  level: error\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an agent and prints its token once', async () => {
    const r = await runOctet(['agent-token', 'create', 'pop-north', '--config', config]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/created agent pop-north\ntoken \(shown once.*\): oct_agent_[A-Za-z0-9_-]{43}\n/);
  });

  it('lists agents with their token prefix, never the token', async () => {
    const r = await runOctet(['agent-token', 'list', '--config', config]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^pop-north\toct_agent_\S{4}…\tactive\tlast seen never\n$/);
  });

  it('revokes an agent, and a second revoke is a user error (exit 2)', async () => {
    const r = await runOctet(['agent-token', 'revoke', 'pop-north', '--config', config]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('revoked agent pop-north\n');
    const again = await runOctet(['agent-token', 'revoke', 'pop-north', '--config', config]);
    expect(again.code).to.equal(2);
    expect(again.stderr).to.contain('revoked already');
  });

  it('refuses a malformed name with exit 2', async () => {
    const r = await runOctet(['agent-token', 'create', 'no spaces please', '--config', config]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('agent name');
  });
});
