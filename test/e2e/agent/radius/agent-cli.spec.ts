import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import { Spool } from '../../../../agent/spool/spool.js';
import { FakePlugin } from '../../../unit/agent/shipper/fake-plugin.js';
import { radclient } from './radclient.js';

const OCTET = fileURLToPath(new URL('../../../../plugin/cli/octet.js', import.meta.url));

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

describe('octet agent --config (the process)', function () {
  this.timeout(120_000);
  let dir: string;
  let plugin: FakePlugin;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-agent-cli-'));
    plugin = new FakePlugin();
  });
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await plugin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from a config file, records and ships accounting, serves /healthz, and stops cleanly on SIGTERM', async () => {
    // The plugin is down at first: the record must wait in the spool.
    plugin.script = ['500'];
    const url = await plugin.start();
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      [
        `plugin: { url: "${url}", token: "\${AGENT_TOKEN}" }`,
        `spool: { dir: "${join(dir, 'spool')}" }`,
        'radius:',
        '  host: 127.0.0.1',
        '  port: 0',
        '  clients: [{ name: bras1, address: 127.0.0.1, secret: "${NAS_SECRET}" }]',
        'http: { host: 127.0.0.1, port: 0 }',
        'log: { level: info, format: json }',
      ].join('\n'),
    );
    child = spawn(process.execPath, [OCTET, 'agent', '--config', config], {
      env: { ...process.env, AGENT_TOKEN: plugin.token, NAS_SECRET: 'cli-secret' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const ports: { radius?: number; http?: number } = {};
    const logs: string[] = [];
    await new Promise<void>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`agent exited (${code}): ${logs.join('\n')}`)));
      createInterface({ input: child!.stderr! }).on('line', (line) => {
        logs.push(line);
        const entry = JSON.parse(line) as { message: string; port?: number };
        if (entry.message.startsWith('radius: accounting server listening')) ports.radius = entry.port;
        if (entry.message.startsWith('http: health and metrics listening')) ports.http = entry.port;
        if (entry.message === 'agent: started') resolve();
      });
    });
    const res = await radclient(ports.radius!, 'cli-secret', [
      'Acct-Status-Type = Stop',
      'User-Name = "carol"',
      'Acct-Session-Id = "cli-1"',
      'Acct-Output-Octets = 31337',
    ]);
    expect(res.answered).to.equal(true);
    while (plugin.countedRecords < 1) await new Promise((r) => setTimeout(r, 20));
    // Healthy again once the acknowledgement is processed (the first POST failed).
    let health = await fetch(`http://127.0.0.1:${ports.http}/healthz`);
    while (health.status !== 200) {
      await health.body?.cancel();
      await new Promise((r) => setTimeout(r, 20));
      health = await fetch(`http://127.0.0.1:${ports.http}/healthz`);
    }
    const report = (await health.json()) as { status: string; spool: { depthRecords: number }; shipping: { lastAckAt: string | null } };
    expect(report.status).to.equal('ok');
    expect(report.spool.depthRecords).to.equal(0);
    expect(report.shipping.lastAckAt).to.be.a('string');

    child.kill('SIGTERM');
    expect(await exited(child)).to.equal(0);
    expect(logs.some((l) => l.includes('agent: stopped'))).to.equal(true);
    const shipped = [...plugin.counted.values()].flatMap((b) => b.records);
    expect(shipped.map((r) => [r.login, r.downloadOctets, r.ended])).to.deep.equal([['carol', '31337', true]]);
    const spool = await Spool.open({ dir: join(dir, 'spool'), maxBytes: 1024 ** 3, logger: nullLogger, clock: systemClock });
    expect(spool.stats().depth).to.equal(0);
    await spool.close();
  });

  it('exits with status 2 and names the field when the config is wrong', async () => {
    const config = join(dir, 'agent.yaml');
    writeFileSync(config, 'plugin: { url: "http://127.0.0.1:1", token: "0123456789abcdef" }\nspool: { dir: /tmp/x, maxbytes: 3 }\n');
    child = spawn(process.execPath, [OCTET, 'agent', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    expect(await exited(child)).to.equal(2);
    expect(stderr).to.contain('spool.maxbytes: unknown key');
  });
});
