import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runOctet } from '../../../support/cli.js';

/** `octet import accounts` and `octet unclaimed` as staff run them: a real process on SQLite. */
describe('octet import accounts and octet unclaimed (command line)', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  const file = (name: string, text: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-import-cli-'));
    config = file('octet.yaml', `db:\n  url: sqlite:${join(dir, 'octet.db')}\nlog:\n  level: warn\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows in a dry run what it would create, and writes nothing', async () => {
    const csv = file('a.csv', 'external_id,name,login\nC-1,Ada,ada\nC-2,Bob,bob\n');
    const res = await runOctet(['import', 'accounts', csv, '--dry-run', '--config', config]);
    expect(res.stderr).to.equal('');
    expect(res.code).to.equal(0);
    expect(res.stdout).to.contain('line 2: create account C-1: Ada');
    expect(res.stdout).to.contain('Accounts: 2 would be created, 0 updated, 0 unchanged. Services: 2 would be created, 0 updated, 0 unchanged. Dry run: nothing was written.');
    const again = await runOctet(['import', 'accounts', csv, '--dry-run', '--config', config]);
    expect(again.stdout).to.contain('2 would be created');
  });

  it('imports, then finds nothing to change in the same file', async () => {
    const csv = file('b.csv', 'external_id,name,login\nC-1,Ada,ada\nC-2,Bob,bob\n');
    const first = await runOctet(['import', 'accounts', csv, '--config', config]);
    expect(first.code).to.equal(0);
    expect(first.stdout).to.contain('Accounts: 2 were created');
    const second = await runOctet(['import', 'accounts', csv, '--config', config]);
    expect(second.stdout).to.contain('Accounts: 0 were created, 0 updated, 2 unchanged. Services: 0 were created, 0 updated, 2 unchanged.');
  });

  it('exits 2 listing every bad line, and imports none of the file', async () => {
    const csv = file('c.csv', 'external_id;name;email;login\nC-3;Cy;cy@example.net;cy\nC-4;Di;not-mail;ada\n');
    const res = await runOctet(['import', 'accounts', csv, '--config', config]);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.contain(`${csv}: line 3, email: is not an e-mail address`);
    expect(res.stderr).to.contain(`${csv}: line 3, login: "ada" is already used by a live service of another account`);
    expect(res.stderr).to.contain('octet: 2 problem(s); nothing was imported');
    const check = await runOctet(['import', 'accounts', file('d.csv', 'external_id,name\nC-3,Cy\n'), '--dry-run', '--config', config]);
    expect(check.stdout).to.contain('1 would be created');
  });

  it('exits 2 with one line for a missing file', async () => {
    const res = await runOctet(['import', 'accounts', join(dir, 'nope.csv'), '--config', config]);
    expect(res.code).to.equal(2);
    expect(res.stderr.trim()).to.equal(`octet: ${join(dir, 'nope.csv')}: file not found`);
  });

  it('says when there is nothing unclaimed, and wants logins or --all to claim', async () => {
    expect((await runOctet(['unclaimed', 'list', '--config', config])).stdout).to.equal('no unclaimed logins\n');
    const res = await runOctet(['unclaimed', 'claim', '--config', config]);
    expect(res.code).to.equal(2);
    expect(res.stderr.trim()).to.equal('octet: name the logins to claim, or pass --all');
  });
});
