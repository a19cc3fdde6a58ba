import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOctet } from '../../support/cli.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEPLOY = join(ROOT, 'config', 'deploy');
const UNITS = ['octet-agent.service', 'octet-serve.service'] as const;

/** A unit file as systemd reads it: sections of keys, each key with every value it was given. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit file line: ${raw}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

const unit = (name: (typeof UNITS)[number]) => parseUnit(readFileSync(join(DEPLOY, name), 'utf8'));
const value = (u: ReturnType<typeof parseUnit>, section: string, key: string) => u.get(section)?.get(key)?.at(-1);

describe('systemd units for the agent and the plugin (config/deploy)', () => {
  for (const name of UNITS) {
    describe(name, () => {
      const u = unit(name);
      const state = name === 'octet-agent.service' ? 'octet-agent' : 'octet';

      it('runs as the dedicated octet user, from its config in /etc/octet, restarting on failure but not on a bad config (exit 2)', () => {
        expect(value(u, 'Service', 'User')).to.equal('octet');
        expect(value(u, 'Service', 'Group')).to.equal('octet');
        expect(value(u, 'Service', 'ExecStart')).to.match(/ --config \/etc\/octet\/(agent|octet)\.yaml$/);
        expect(value(u, 'Service', 'Restart')).to.equal('on-failure');
        expect(value(u, 'Service', 'RestartPreventExitStatus')).to.equal('2');
        expect(value(u, 'Install', 'WantedBy')).to.equal('multi-user.target');
      });

      it(`writes only to its state directory /var/lib/${state}, and logs to the journal`, () => {
        expect(value(u, 'Service', 'StateDirectory')).to.equal(state);
        expect(value(u, 'Service', 'ReadWritePaths')).to.equal(`/var/lib/${state}`);
        expect(value(u, 'Service', 'WorkingDirectory')).to.equal(`/var/lib/${state}`);
        expect(value(u, 'Service', 'StandardOutput')).to.equal('journal');
        expect(value(u, 'Service', 'StandardError')).to.equal('journal');
      });

      it('is hardened: no new privileges, read-only system, no home, private /tmp, no capabilities', () => {
        expect(value(u, 'Service', 'NoNewPrivileges')).to.equal('yes');
        expect(value(u, 'Service', 'ProtectSystem')).to.equal('strict');
        expect(value(u, 'Service', 'ProtectHome')).to.equal('yes');
        expect(value(u, 'Service', 'PrivateTmp')).to.equal('yes');
        expect(value(u, 'Service', 'CapabilityBoundingSet')).to.equal('');
        expect(value(u, 'Service', 'AmbientCapabilities')).to.equal('');
      });

      it('starts a command and options the octet CLI has (checked against its --help)', async function () {
        this.timeout(120_000); // the CLI's start-up, on a loaded machine
        const exec = value(u, 'Service', 'ExecStart')!.split(/\s+/);
        expect(exec.slice(0, 2)).to.deep.equal(['/usr/bin/node', '/opt/octet/plugin/cli/octet.js']);
        const [command, ...args] = exec.slice(2);
        const help = await runOctet([command!, '--help']);
        expect(help.code, help.stderr).to.equal(0);
        for (const option of args.filter((a) => a.startsWith('--'))) expect(help.stdout).to.include(option);
      });
    });
  }

  it('the agent needs no capability: the RADIUS and health ports in the guide\'s agent config are above 1024', () => {
    const guide = readFileSync(join(DEPLOY, 'PRODUCTION.md'), 'utf8');
    const agentYaml = /# \/etc\/octet\/agent\.yaml\n([\s\S]*?)```/.exec(guide)![1]!;
    const ports = [...agentYaml.matchAll(/^\s+port: (\d+)/gm)].map((m) => Number(m[1]));
    expect(ports).to.include.members([1813, 9180]);
    expect(ports.filter((p) => p !== 8729).every((p) => p >= 1024)).to.equal(true);
  });

  // Debian's systemd package ships systemd-analyze; where it is installed, systemd itself checks the files.
  if (existsSync('/usr/bin/systemd-analyze')) {
    it('passes systemd-analyze verify without a complaint about either unit', () => {
      const r = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', ...UNITS.map((n) => join(DEPLOY, n))], { encoding: 'utf8' });
      const ours = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('config/deploy/'));
      expect(ours).to.deep.equal([]);
      expect(r.status).to.equal(0);
    });
  }
});
