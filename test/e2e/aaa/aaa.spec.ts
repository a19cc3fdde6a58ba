import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createTestPlugin, type TestPlugin } from '../../support/plugin.js';
import { listen } from '../../integration/plugin/enforcement/helpers.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'raddb');
const AAA_SECRET = 'aaa-shared-secret-for-tests-0123';
const RADIUS_SECRET = 'testing123';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Copies the template into `dir`, filling in the @...@ values. */
function writeConfig(dir: string, values: Record<string, string>): void {
  const walk = (from: string) => {
    for (const name of readdirSync(from)) {
      const src = join(from, name);
      const dst = join(dir, relative(TEMPLATE, src));
      if (statSync(src).isDirectory()) {
        mkdirSync(dst, { recursive: true });
        walk(src);
      } else writeFileSync(dst, readFileSync(src, 'utf8').replace(/@([A-Z_]+)@/g, (_m, k: string) => values[k] ?? `@${k}@`));
    }
  };
  walk(TEMPLATE);
  mkdirSync(join(dir, 'log'), { recursive: true });
  mkdirSync(join(dir, 'run'), { recursive: true });
}

interface RadiusReply {
  code: string | null;
  attributes: Record<string, string>;
  output: string;
}

function radclient(port: number, login: string): Promise<RadiusReply> {
  return new Promise((resolve) => {
    const child = execFile('radclient', ['-x', '-t', '3', '-r', '1', `127.0.0.1:${port}`, 'auth', RADIUS_SECRET], (_err, stdout, stderr) => {
      const output = stdout + stderr;
      const code = /Received (Access-\w+)/.exec(output)?.[1] ?? null;
      // The reply's attributes follow the "Received" line, one per line, tab-indented.
      const attributes: Record<string, string> = {};
      const after = output.split(/Received Access-\w+[^\n]*\n/)[1] ?? '';
      for (const m of after.matchAll(/^\s+([\w-]+) = "?([^"\n]*)"?$/gm)) attributes[m[1]!] = m[2]!;
      resolve({ code, attributes, output });
    });
    child.stdin!.end(`User-Name = "${login}", User-Password = "pw", NAS-IP-Address = 127.0.0.1, NAS-Port = 7\n`);
  });
}

/** Issue 14: FreeRADIUS asks Octet at each login, so a suspended subscriber's next session lands in the walled garden. */
describe('AAA follows billing: a real FreeRADIUS with rlm_rest asks the plugin', function () {
  this.timeout(60_000);
  let plugin: TestPlugin;
  let server: Awaited<ReturnType<typeof listen>>;
  let radiusd: ChildProcess;
  let dir: string;
  let port: number;
  let log = '';
  const ids: Record<string, number> = {};

  before(async function () {
    for (const need of ['/usr/sbin/freeradius', '/usr/lib/freeradius/rlm_rest.so', '/usr/bin/radclient']) {
      if (!existsSync(need)) throw new Error(`${need} is missing: run test/setup/system-deps.sh (installs freeradius, freeradius-rest, freeradius-utils)`);
    }
    plugin = await createTestPlugin('sqlite', { config: { enforcement: { aaa: { secret: AAA_SECRET }, fairUse: { enabled: false } } } });
    server = await listen(plugin.app);
    const subs = plugin.services.subscribers.subscribers;
    for (const login of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const a = await subs.createAccount({ name: `Customer ${login}`, currency: 'EUR' }, 'user:1');
      ids[login] = (await subs.createService(a.id, { login, nasName: 'bras1', startDate: '2026-01-01' }, 'user:1')).id;
    }
    await plugin.services.enforcement.setDesired({ serviceIds: [ids.bob!], desired: 'suspended', cause: { kind: 'dunning', detail: 'invoice overdue', actor: 'system:dunning' } });
    await plugin.services.enforcement.setDesired({ serviceIds: [ids.carol!], desired: 'throttled', rate: '1M/1M', cause: { kind: 'fair_use', detail: 'cap passed', actor: 'system:fair-use' } });
    // What staff set, apart from billing: dave's service and erin's account are suspended by hand.
    await subs.updateService(ids.dave!, { status: 'suspended' }, 'user:1');
    await subs.updateAccount((await subs.getService(ids.erin!)).accountId, { status: 'suspended' }, 'user:1');

    dir = mkdtempSync(join(tmpdir(), 'octet-aaa-'));
    port = await freeUdpPort();
    writeConfig(dir, { DIR: dir, AUTH_PORT: String(port), PLUGIN_URL: server.base, AAA_SECRET, RADIUS_SECRET });
    radiusd = spawn('freeradius', ['-X', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`freeradius did not start:\n${log}`)), 15_000);
      const onData = (b: Buffer) => {
        log += b.toString();
        if (log.includes('Ready to process requests')) {
          clearTimeout(timer);
          resolve();
        }
      };
      radiusd.stdout!.on('data', onData);
      radiusd.stderr!.on('data', onData);
      radiusd.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`freeradius exited ${code}:\n${log}`));
      });
    });
  });

  after(async () => {
    radiusd?.removeAllListeners('exit');
    radiusd?.kill('SIGTERM');
    await server?.close();
    await plugin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts an active subscriber with no policy attributes', async () => {
    const r = await radclient(port, 'alice');
    expect(r.code, r.output).to.equal('Access-Accept');
    expect(r.attributes).to.not.have.any.keys('Mikrotik-Address-List', 'Mikrotik-Rate-Limit');
  });

  it('puts a suspended subscriber in the octet-suspended address list', async () => {
    const r = await radclient(port, 'bob');
    expect(r.code, r.output).to.equal('Access-Accept');
    expect(r.attributes['Mikrotik-Address-List']).to.equal('octet-suspended');
  });

  it('gives a throttled subscriber its rate limit', async () => {
    const r = await radclient(port, 'carol');
    expect(r.code, r.output).to.equal('Access-Accept');
    expect(r.attributes['Mikrotik-Rate-Limit']).to.equal('1M/1M');
  });

  it('refuses a subscriber whose service staff suspended, saying so in the Reply-Message', async () => {
    const r = await radclient(port, 'dave');
    expect(r.code, r.output).to.equal('Access-Reject');
    expect(r.attributes['Reply-Message']).to.equal('service suspended by staff');
  });

  it('refuses a subscriber whose account staff suspended, even though billing has nothing against them', async () => {
    expect((await plugin.services.enforcement.stateOf([ids.erin!])).has(ids.erin!)).to.equal(false);
    const r = await radclient(port, 'erin');
    expect(r.code, r.output).to.equal('Access-Reject');
    expect(r.attributes['Reply-Message']).to.equal('account suspended by staff');
  });

  it('rejects a login Octet does not know (404: notfound)', async () => {
    const r = await radclient(port, 'mallory');
    expect(r.code, r.output).to.equal('Access-Reject');
  });

  it('follows a restoration at the next login', async () => {
    await plugin.services.enforcement.setDesired({ serviceIds: [ids.bob!], desired: 'active', cause: { kind: 'payment', detail: 'paid', actor: 'system:payments' } });
    const r = await radclient(port, 'bob');
    expect(r.code, r.output).to.equal('Access-Accept');
    expect(r.attributes).to.not.have.any.keys('Mikrotik-Address-List');
  });
});
