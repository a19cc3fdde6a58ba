import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RouterOsClient } from '../../../../agent/routeros/client.js';
import { spawnSimulator } from '../../../../agent/simulator/child.js';
import { makeSelfSigned } from '../../../unit/agent/routeros/self-signed.js';

const OCTET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../plugin/cli/octet.js');

function octet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [OCTET, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('octet simulate-router (as a process)', function () {
  this.timeout(90_000);

  it('serves the configured sessions, RouterOS version and credentials', async () => {
    const sim = await spawnSimulator(['--sessions', '25', '--version', '6.49.15', '--username', 'ops', '--password', 'pw']);
    try {
      const c = await RouterOsClient.connect({ host: sim.host, port: sim.port, username: 'ops', password: 'pw' });
      expect((await c.print('/ppp/active', { proplist: ['name'] })).length).to.equal(25);
      expect((await c.print('/system/resource', { proplist: ['version'] }))[0]).to.deep.equal({ version: '6.49.15 (long-term)' });
      c.destroy();
    } finally {
      await sim.stop();
    }
  });

  it('serves API-SSL from a config file with a certificate', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'octet-simcli-'));
    const cert = makeSelfSigned();
    try {
      writeFileSync(path.join(dir, 'c.pem'), cert.cert);
      writeFileSync(path.join(dir, 'k.pem'), cert.key);
      writeFileSync(
        path.join(dir, 'sim.yaml'),
        `listen: { port: 0 }\ntls: { port: 0, certFile: ${path.join(dir, 'c.pem')}, keyFile: ${path.join(dir, 'k.pem')} }\nsessions: { ppp: 3 }\n`,
      );
      const sim = await spawnSimulator(['--config', path.join(dir, 'sim.yaml')]);
      try {
        expect(sim.tlsPort).to.be.a('number');
        const secure = await RouterOsClient.connect({
          host: sim.host,
          port: sim.tlsPort!,
          username: 'admin',
          password: '',
          tls: { fingerprint: cert.fingerprint256 },
        });
        expect((await secure.print('/ppp/active')).length).to.equal(3);
        secure.destroy();
      } finally {
        await sim.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends with status 2 and names the field on a bad config', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'octet-simcli-'));
    try {
      writeFileSync(path.join(dir, 'bad.yaml'), 'version: seven\n');
      const res = await octet(['simulate-router', '--config', path.join(dir, 'bad.yaml')]);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.match(/bad\.yaml: version: must look like 6\.49\.15 or 7\.18\.2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends with status 2 on a bad flag', async () => {
    const res = await octet(['simulate-router', '--sessions', 'many']);
    expect(res.code).to.equal(2);
    expect(res.stderr).to.match(/--sessions/);
  });
});
