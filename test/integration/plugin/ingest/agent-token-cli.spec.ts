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

  it('rotates a revoked agent\'s token: prints the new token once and lists the agent active again', async () => {
    const r = await runOctet(['agent-token', 'rotate', 'pop-north', '--config', config]);
    expect(r.code, r.stderr).to.equal(0);
    const token = /^rotated token of agent pop-north; the old token no longer works\ntoken \(shown once.*\): (oct_agent_[A-Za-z0-9_-]{43})\n$/.exec(r.stdout)?.[1];
    expect(token, r.stdout).to.be.a('string');
    const list = await runOctet(['agent-token', 'list', '--config', config]);
    expect(list.stdout).to.equal(`pop-north\t${token!.slice(0, 14)}…\tactive\tlast seen never\n`);
  });

  it('refuses to rotate an agent that does not exist with exit 2', async () => {
    const r = await runOctet(['agent-token', 'rotate', 'pop-nowhere', '--config', config]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('no agent named pop-nowhere');
  });

  it('refuses a malformed name with exit 2', async () => {
    const r = await runOctet(['agent-token', 'create', 'no spaces please', '--config', config]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('agent name');
  });
});
